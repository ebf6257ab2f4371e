"""RingCentral platform simulator: OAuth, REST, rate limits, notifications and a call engine.

Written from RingCentral's public documentation so that our client is tested against the
platform's behaviour, not its own expectations. Used by tests, the demo and the benchmarks.
"""

from .app import Simulator, build_app
from .config import SimConfig

__all__ = ["SimConfig", "Simulator", "build_app"]
