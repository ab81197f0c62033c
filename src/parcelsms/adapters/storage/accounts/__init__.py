"""Accounts: accounts and profiles, API keys (and their sealed signing keys), sandbox numbers,
and the audit log."""
