"""The course's own content: its words, its claims about the architectures, its conclusion table."""
