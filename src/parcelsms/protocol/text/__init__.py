"""protocol/text layer."""
