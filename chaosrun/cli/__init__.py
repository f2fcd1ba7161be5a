"""The ``chaosrun`` command line: thin wrappers over functions callable from Python."""
