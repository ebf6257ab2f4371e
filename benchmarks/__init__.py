"""Benchmark harness: measures the library, the integration and the simulator against fixed targets.

Run `python -m benchmarks [--quick]`; results go to `docs/benchmarks.md` (see that file for the method).
"""
