"""Engine throughput: notifications per second through `parse_notification` + `CallStateEngine`, one core.

The corpus is simulator traffic of an account-mode subscription (see `corpus.py`). Each repeat feeds
the whole corpus to a fresh engine in one thread; the median repeat is reported. Time is the process's
CPU time (one thread, so one core), which other load on the machine disturbs far less than wall time.
A second figure includes `json.loads` of the frame text, which the WebSocket transport does first.
"""

from __future__ import annotations

import json
import statistics
import time

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine
from custom_components.ringcentral.aioringcentral.models import parse_notification

from .corpus import Corpus, build_corpus
from .results import BenchResult, Target

TARGET_PER_SECOND = 20_000.0


def feed(corpus: Corpus, *, decode: bool) -> tuple[float, int]:
    """CPU seconds to push the corpus through a fresh engine, and how many call events it emitted."""
    engine = CallStateEngine()
    texts = [json.dumps(raw) for raw in corpus.notifications] if decode else None
    raws = corpus.notifications
    times = corpus.times
    events = 0
    start = time.process_time()
    if texts is not None:
        for text, now in zip(texts, times, strict=True):
            events += len(engine.apply_notification(parse_notification(json.loads(text)), now).events)
    else:
        for raw, now in zip(raws, times, strict=True):
            events += len(engine.apply_notification(parse_notification(raw), now).events)
    return time.process_time() - start, events


def run(*, quick: bool) -> BenchResult:
    result = BenchResult("engine", "Engine throughput (parse + engine, one core)")
    size = 2_000 if quick else 50_000
    repeats = 1 if quick else 5
    corpus = build_corpus(extensions=200, notifications=size, concurrent=40)
    feed(corpus, decode=False)  # warm-up: imports, caches
    runs = [feed(corpus, decode=False) for _ in range(repeats)]
    seconds = statistics.median(s for s, _ in runs)
    events = runs[0][1]
    rate = result.add(
        "throughput", len(corpus) / seconds, "notifications/s", f"median of {repeats} x {len(corpus):,}"
    )
    result.add("cost per notification", seconds / len(corpus) * 1e6, "µs")
    decoded = statistics.median(feed(corpus, decode=True)[0] for _ in range(repeats))
    result.add("throughput incl. json.loads", len(corpus) / decoded, "notifications/s")
    result.add("call events emitted", events, "events", "transitions the corpus implies")
    result.targets.append(Target("engine throughput", TARGET_PER_SECOND, "notifications/s", True, rate))
    result.notes.append(
        f"{len(corpus):,} notifications from {len(corpus.extension_ids)} extensions, 40 concurrent "
        "scenarios of every kind (account presence with detailed telephony state + account "
        "telephony sessions)."
    )
    return result
