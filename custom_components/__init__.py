"""Custom integrations shipped by this repository (a package so tests import ours, not phacc's copy)."""
