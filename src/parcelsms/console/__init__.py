"""console layer."""
