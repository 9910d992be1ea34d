"""The co-sell domain: aggregates, value types, domain errors and application services."""
