"""adapters/storage layer."""
