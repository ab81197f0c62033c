"""adapters/webhooks layer."""
