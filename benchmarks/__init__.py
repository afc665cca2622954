"""debtkit's performance evidence: each benchmark measures debtkit and a baseline in one run."""
