"""Shared opportunities: one deal, registered by one party and co-sold with its partners."""
