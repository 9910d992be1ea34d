"""Parties (companies on the network) and their users."""
