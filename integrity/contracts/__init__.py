"""The PublicationLog registry: Vyper source, build script and the committed compiler artifact."""
