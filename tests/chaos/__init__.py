"""Chaos convergence suite: seeded random scenarios and faults, then convergence and event checks."""
