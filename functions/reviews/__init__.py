"""Review API: operators decide the orders the audit held for review."""
