"""Webhooks: account endpoints and the outbox a sender drains."""
