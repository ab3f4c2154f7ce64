"""The portfolio: valuation, accounting, analytics and snapshots of accounts."""
