"""bench-results/<scenario>.json: one run's figures and ratios, machine-readable, so that runs can be
compared (the folder is git-ignored). Every scenario of `make bench` writes its file through here."""

import json
import os
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from devstack.bench.load import Result
from devstack.paths import ROOT

RESULTS = ROOT / "bench-results"


def load_figures(result: Result) -> dict[str, Any]:
    """A load generator's result as figures: rate, latency percentiles, errors by kind."""
    return {
        "per_second": result.rate,
        "p50_ms": result.p50,
        "p95_ms": result.percentile(0.95),
        "p99_ms": result.p99,
        "completed": result.completed,
        "errors": result.errors,
        "failures": result.failures,
    }


def write_results(scenario: str, figures: Mapping[str, Any], ratios: Mapping[str, float] | None = None) -> Path:
    """Writes the scenario's file, with when and on what it ran; NaN (nothing measured) is written as null."""
    document = {
        "scenario": scenario,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "figures": figures,
        "ratios": dict(ratios or {}),
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{scenario}.json"
    path.write_text(json.dumps(_without_nan(document), indent=2) + "\n")
    return path


def tell_written(console: Console, path: Path, seconds: float) -> None:
    """The last line of a scenario that took long: where its figures went, and how long it all took."""
    console.print(f"written to {path.relative_to(ROOT)}; whole scenario {seconds:.0f} s")


def _without_nan(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, Mapping):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value
