"""Delivery: the ledger, the hand-off folder and its journal, and the executors that render lots."""
