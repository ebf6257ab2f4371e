"""Renders results as Markdown and writes them into docs/benchmarks.md between two markers.

Everything outside the markers (method, explanations of misses) is written by hand and kept.
"""

from __future__ import annotations

from pathlib import Path

from .results import BenchResult, Verdict

START = "<!-- results:start (written by `python -m benchmarks`; edits here are overwritten) -->"
END = "<!-- results:end -->"


def render(results: list[BenchResult], machine: dict[str, str], *, command: str) -> str:
    """The generated block: machine, a summary of every target, then every measured value."""
    lines = [
        f"Run on {machine['date']} with `{command}`.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine.items() if key != "date"),
        "",
        "### Targets",
        "",
        "| target | limit | this run | verdict |",
        "|---|---|---|---|",
    ]
    for result in results:
        for target in result.targets:
            sign = "≥" if target.higher_is_better else "≤"
            actual = "—" if target.actual is None else _number(target.actual)
            verdict = "**met**" if target.verdict is Verdict.MET else f"**{target.verdict}**"
            lines.append(
                f"| {target.name} | {sign} {_number(target.limit)} {target.unit} | {actual} | {verdict} |"
            )
        if result.error is not None:
            lines.append(f"| {result.title} | | — | **not measured** |")
    lines += ["", "### Measurements", ""]
    for result in results:
        lines += [f"#### {result.title}", ""]
        if result.error is not None:
            lines += [f"Not measured: {result.error}", ""]
            continue
        lines += ["| measurement | value | detail |", "|---|---|---|"]
        lines += [f"| {m.name} | {m.formatted()} | {m.detail} |" for m in result.metrics]
        lines.append("")
        lines += [f"- {note}" for note in result.notes]
        lines += [f"- took {result.seconds:.1f} s", ""]
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path, block: str) -> None:
    """Replace the block between the markers (appending the markers if the file has none)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
    else:
        head, tail = text.rstrip() + "\n\n## Latest results\n\n", "\n"
    path.write_text(f"{head}{START}\n{block}{END}{tail}")


def _number(value: float) -> str:
    from .results import format_number

    return format_number(value)
