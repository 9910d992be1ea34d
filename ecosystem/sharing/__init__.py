"""Sharing policies: each company's rules for who sees and writes which of its fields."""
