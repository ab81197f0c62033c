"""Storage of replies, suppression lists, the blacklist and the events feed."""
