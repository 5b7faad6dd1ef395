"""AnchorRegistry Vyper source, its build script and the committed compiler artifact."""
