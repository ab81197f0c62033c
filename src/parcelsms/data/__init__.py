"""Data files shipped with parcelsms."""
