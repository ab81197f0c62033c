"""parcelsms: international notification SMS for cross-border logistics."""

__version__ = "0.1.0"
