"""Messages: accept, claim and dispatch outcomes, receipts, status transitions with their
ledger moves and webhook rows, and the reads of messages."""
