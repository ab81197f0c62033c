"""Carrier channels' stored state: their health snapshots."""
