"""Delivery: the ledger, the hand-off folder and its journal, the executors that render lots, and when the letters arrive (post)."""
