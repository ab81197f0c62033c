"""protocol/smpp layer."""
