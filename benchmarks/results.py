"""What every benchmark returns: measured values, targets judged met or missed, and notes.

Kept free of any measuring code so the report, the CLI and the smoke test share one well-formed shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """How a target came out."""

    MET = "met"
    MISSED = "missed"
    NOT_MEASURED = "not measured"


@dataclass(frozen=True, slots=True)
class Metric:
    """One measured value."""

    name: str
    value: float
    unit: str
    detail: str = ""

    def formatted(self) -> str:
        return f"{format_number(self.value)} {self.unit}".strip()


@dataclass(frozen=True, slots=True)
class Target:
    """A target from the issue and how this run did against it.

    `higher_is_better` says which side of `limit` meets it; `actual` is None when it could not be measured.
    """

    name: str
    limit: float
    unit: str
    higher_is_better: bool
    actual: float | None
    reason: str = ""  # why it was not measured

    @property
    def verdict(self) -> Verdict:
        if self.actual is None or math.isnan(self.actual):
            return Verdict.NOT_MEASURED
        met = self.actual >= self.limit if self.higher_is_better else self.actual <= self.limit
        return Verdict.MET if met else Verdict.MISSED

    def describe(self) -> str:
        """e.g. `engine throughput ≥ 20,000 notifications/s: 48,210 (met)`."""
        sign = "≥" if self.higher_is_better else "≤"
        actual = "—" if self.actual is None else format_number(self.actual)
        return f"{self.name} {sign} {format_number(self.limit)} {self.unit}: {actual} ({self.verdict})"


@dataclass(slots=True)
class BenchResult:
    """Everything one benchmark measured."""

    key: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # set when the benchmark could not run at all
    seconds: float = 0.0  # how long the benchmark took to run

    def add(self, name: str, value: float, unit: str, detail: str = "") -> float:
        self.metrics.append(Metric(name, float(value), unit, detail))
        return float(value)

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "metrics": [
                {"name": m.name, "value": m.value, "unit": m.unit, "detail": m.detail} for m in self.metrics
            ],
            "targets": [
                {
                    "name": t.name,
                    "limit": t.limit,
                    "unit": t.unit,
                    "higher_is_better": t.higher_is_better,
                    "actual": t.actual,
                    "verdict": str(t.verdict),
                    "reason": t.reason,
                }
                for t in self.targets
            ],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchResult:
        """The inverse of `as_dict` (verdicts are recomputed from the values)."""
        return cls(
            key=str(data["key"]),
            title=str(data["title"]),
            metrics=[
                Metric(str(m["name"]), float(m["value"]), str(m["unit"]), str(m["detail"]))
                for m in data["metrics"]
            ],
            targets=[
                Target(
                    str(t["name"]),
                    float(t["limit"]),
                    str(t["unit"]),
                    bool(t["higher_is_better"]),
                    None if t["actual"] is None else float(t["actual"]),
                    str(t["reason"]),
                )
                for t in data["targets"]
            ],
            notes=[str(n) for n in data["notes"]],
            error=None if data["error"] is None else str(data["error"]),
            seconds=float(data["seconds"]),
        )


def format_number(value: float) -> str:
    """Readable numbers: thousands separators, 3 significant digits for small values."""
    if math.isnan(value):
        return "n/a"
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of a non-empty list."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
