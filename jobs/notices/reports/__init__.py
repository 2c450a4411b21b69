"""The operator's reports: the run report, its summary, status, posting counts and proofs."""
