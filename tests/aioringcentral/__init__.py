"""Tests of the HA-free aioringcentral library."""
