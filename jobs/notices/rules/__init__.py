"""The rules and the selection: expiry dates, the one rule engine over columns, review holds, lapses."""
