"""Joint solutions: what partners build, validate and publish together."""
