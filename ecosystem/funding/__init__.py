"""Co-funding plans: market development funds and co-investment from several budgets."""
