"""Content: templates and their versions, sender IDs, message settings."""
