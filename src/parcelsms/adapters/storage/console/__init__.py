"""The console room: console users and their sessions."""
