"""What the window shows and edits, without Qt: the open document, its undo history and mask.
The window renders a Session and sends it commands; tests and other front ends use it alone."""
