"""`ndes init`: a first stack config from a few answers and what can be read (read-only) from AD and Graph."""
