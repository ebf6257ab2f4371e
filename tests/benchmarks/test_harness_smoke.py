"""Keeps the benchmark harness from rotting: every benchmark runs at its tiny `--quick` size through
the documented command and must produce well-formed results. Timings are never asserted (they are
what the harness measures, not what a test can expect)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report
from benchmarks.results import BenchResult, Target, Verdict, percentile
from benchmarks.runner import BENCHMARKS
from benchmarks.sim_server import endpoint_template
from benchmarks.startup_bench import split_calls

REPO_ROOT = Path(__file__).resolve().parents[2]
MACHINE_KEYS = {
    "date",
    "nproc",
    "cpu",
    "python",
    "homeassistant",
    "reference loop (CPU speed; lower is faster)",
}


def _quick_run(key: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "results.json"
    proc = subprocess.run(  # noqa: S603  (our own interpreter and module)
        [sys.executable, "-m", "benchmarks", "--quick", "--only", key, "--no-write", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=55,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data: dict[str, Any] = json.loads(out.read_text())
    return data


@pytest.mark.parametrize("key", list(BENCHMARKS))
def test_quick_run_produces_well_formed_results(key: str, tmp_path: Path) -> None:
    data = _quick_run(key, tmp_path)
    assert set(data["machine"]) >= MACHINE_KEYS
    [raw] = data["results"]
    assert raw["key"] == key
    assert raw["error"] is None
    result = BenchResult.from_dict(raw)
    assert result.metrics, "a benchmark must measure something"
    for metric in result.metrics:
        assert metric.name
        assert metric.unit
        assert math.isfinite(metric.value), metric
    assert result.targets, "every benchmark judges at least one target"
    for target in result.targets:
        assert target.actual is not None
        assert math.isfinite(target.actual), target
        assert target.verdict in (Verdict.MET, Verdict.MISSED)
    # The printed summary names every target with its verdict.
    rendered = report.render([result], data["machine"], command="python -m benchmarks --quick")
    for target in result.targets:
        assert target.name in rendered


@pytest.mark.parametrize(
    ("limit", "higher", "actual", "verdict"),
    [
        (20_000, True, 25_000.0, Verdict.MET),
        (20_000, True, 19_999.0, Verdict.MISSED),
        (1.5, False, 1.5, Verdict.MET),
        (1.5, False, 1.6, Verdict.MISSED),
        (0, False, 0.0, Verdict.MET),
        (25, False, None, Verdict.NOT_MEASURED),
        (25, False, math.nan, Verdict.NOT_MEASURED),
    ],
)
def test_target_verdicts(limit: float, higher: bool, actual: float | None, verdict: Verdict) -> None:
    assert Target("t", limit, "u", higher, actual).verdict is verdict


def test_result_round_trips_through_json() -> None:
    result = BenchResult("engine", "Engine", notes=["n"], seconds=1.5)
    result.add("throughput", 21_000.5, "notifications/s", "median")
    result.targets.append(Target("engine throughput", 20_000, "notifications/s", True, 21_000.5))
    again = BenchResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again == result


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_write_replaces_only_the_results_block(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# Title\n\nHand-written method.\n\n{report.START}\nold\n{report.END}\n\n## Misses\n\nwhy\n"
    )
    report.write(doc, "new results\n")
    text = doc.read_text()
    assert "old" not in text
    assert "new results" in text
    assert text.startswith("# Title\n\nHand-written method.")
    assert text.endswith("## Misses\n\nwhy\n")
    report.write(doc, "newer\n")
    assert doc.read_text().count(report.START) == 1


def test_write_appends_a_block_to_a_file_without_one(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nMethod.\n")
    report.write(doc, "RESULT-BLOCK\n")
    text = doc.read_text()
    assert (
        text.index("Method.") < text.index(report.START) < text.index("RESULT-BLOCK") < text.index(report.END)
    )


def test_unknown_benchmark_is_a_clear_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "nonsense", "--no-write"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown benchmark(s): nonsense" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("calls", "call_state", "features"),
    [
        ({}, 0, {}),
        ({"POST /restapi/oauth/token": 1, "GET /restapi/v1.0/account/~/presence": 5}, 6, {}),
        (
            {
                "GET /restapi/v1.0/account/~/extension": 1,
                "GET /restapi/v1.0/account/~/extension/{id}/message-store": 5,
                "GET /restapi/v1.0/account/~/directory/entries": 3,
            },
            1,
            {
                "GET /restapi/v1.0/account/~/extension/{id}/message-store": 5,
                "GET /restapi/v1.0/account/~/directory/entries": 3,
            },
        ),
    ],
)
def test_startup_counts_feature_reads_apart_from_call_state(
    calls: dict[str, int], call_state: int, features: dict[str, int]
) -> None:
    assert split_calls(calls) == (call_state, features)


def test_sim_request_paths_group_by_endpoint() -> None:
    assert endpoint_template("/restapi/v1.0/account/~/extension/101/presence") == (
        "/restapi/v1.0/account/~/extension/{id}/presence"
    )
    assert endpoint_template("/restapi/v1.0/account/~/extension/101,102/presence") == (
        "/restapi/v1.0/account/~/extension/{id}/presence"
    )
