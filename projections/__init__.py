"""Per-company read models and KPI views built from the event log."""
