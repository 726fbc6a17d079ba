"""The command-line front end: the only place besides the GUI that knows about terminals."""
