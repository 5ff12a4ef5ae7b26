"""What people read: number formatting, tables in every format (one emit), plots, and file writing."""
