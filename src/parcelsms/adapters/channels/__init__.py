"""adapters/channels layer."""
