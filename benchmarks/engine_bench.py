"""Engine throughput: notifications per second through `parse_notification` + `CallStateEngine`, one core.

The corpus is simulator traffic of an account-mode subscription (see `corpus.py`). Each repeat feeds
the whole corpus to a fresh engine in one thread; the median repeat is reported. Time is the process's
CPU time (one thread, so one core), which other load on the machine disturbs far less than wall time.
A second figure includes decoding the JSON text with the transport's decoder (`load_json`), which
every transport does first.
"""

from __future__ import annotations

import json
import statistics
import time

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine
from custom_components.ringcentral.aioringcentral.filters import FilterKind
from custom_components.ringcentral.aioringcentral.jsonload import load_json
from custom_components.ringcentral.aioringcentral.models import parse_notification

from .corpus import Corpus, build_corpus
from .results import BenchResult, Target

TARGET_PER_SECOND = 50_000.0


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
            events += len(engine.apply_notification(parse_notification(load_json(text, "bench")), now).events)
    else:
        for raw, now in zip(raws, times, strict=True):
            events += len(engine.apply_notification(parse_notification(raw), now).events)
    return time.process_time() - start, events


def parse_only(corpus: Corpus) -> float:
    """CPU seconds to parse the corpus (envelope and body) without the engine."""
    start = time.process_time()
    for raw in corpus.notifications:
        notification = parse_notification(raw)
        if notification.kind is FilterKind.TELEPHONY_SESSIONS:
            notification.telephony_session()
        else:
            notification.presence()
    return time.process_time() - start


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
    parsing = statistics.median(parse_only(corpus) for _ in range(repeats))
    result.add(
        "of which validate/parse",
        parsing / len(corpus) * 1e6,
        "µs",
        "envelope and body into typed models, measured alone",
    )
    decoded = statistics.median(feed(corpus, decode=True)[0] for _ in range(repeats))
    result.add("throughput incl. decoding the JSON", len(corpus) / decoded, "notifications/s", "load_json")
    result.add("call events emitted", events, "events", "transitions the corpus implies")
    result.targets.append(Target("engine throughput", TARGET_PER_SECOND, "notifications/s", True, rate))
    result.notes.append(
        f"{len(corpus):,} notifications from {len(corpus.extension_ids)} extensions, 40 concurrent "
        "scenarios of every kind (account presence with detailed telephony state + account "
        "telephony sessions)."
    )
    return result
