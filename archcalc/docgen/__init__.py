"""Documents kept fresh by the tool: embedded regions in Markdown/reST, and the reports/ folder.
The only library code that runs the command line."""
