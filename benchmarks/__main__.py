"""`python -m benchmarks [--quick] [--only KEY,...] [--output FILE | --no-write] [--json FILE]`.

Runs every benchmark, each in a fresh interpreter (`benchmarks.runner`), prints each target as met or
missed, and writes the results with the machine and date into docs/benchmarks.md (between its
results markers). `--quick` runs every benchmark at a tiny size: a check that the harness works, not
a measurement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import machine, report
from .procs import REPO_ROOT
from .results import BenchResult, Verdict
from .runner import BENCHMARKS

DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks the harness, measures nothing"
    )
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown file to update")
    parser.add_argument("--no-write", action="store_true", help="do not update the Markdown file")
    parser.add_argument("--json", type=Path, default=None, help="also write every result as JSON here")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()] or list(BENCHMARKS)
    unknown = [k for k in keys if k not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    args.keys = keys
    return args


def run_isolated(key: str, *, quick: bool) -> BenchResult:
    """One benchmark in a child interpreter; a crash becomes a result with `error` set."""
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "benchmarks.runner", key, "--out", str(out)]
        if quick:
            command.append("--quick")
        # Our own interpreter and module, no outside input.
        proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        if out.exists():
            result = BenchResult.from_dict(json.loads(out.read_text()))
            if result.error is not None:
                sys.stderr.write(proc.stderr[-4000:])
            return result
        sys.stderr.write(proc.stderr[-4000:])
        return BenchResult(
            key, BENCHMARKS[key][1], error=f"the benchmark process exited with {proc.returncode}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    info = machine.describe()  # before the run: the load average is the machine's, not ours
    results: list[BenchResult] = []
    for key in args.keys:
        print(f"== {key}: {BENCHMARKS[key][1]}", flush=True)
        result = run_isolated(key, quick=args.quick)
        results.append(result)
        if result.error is not None:
            print(f"   not measured: {result.error}", flush=True)
        for metric in result.metrics:
            print(f"   {metric.name}: {metric.formatted()}", flush=True)
        for target in result.targets:
            print(f"   TARGET {target.describe()}", flush=True)
    if args.json is not None:
        args.json.write_text(
            json.dumps({"machine": info, "results": [r.as_dict() for r in results]}, indent=2)
        )
    if not args.no_write:
        report.write(args.output, report.render(results, info, command=command))
        print(f"Results written to {args.output}")
    missed = sum(t.verdict is Verdict.MISSED for r in results for t in r.targets)
    errors = sum(r.error is not None for r in results)
    print(f"{missed} target(s) missed, {errors} benchmark(s) could not run.")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
