"""Billing: prices, channel costs, packages, billing settings and limits, notifications, and
the ledger and margin reads."""
