"""Figures the tests measure (image sizes, start-up times, cluster timings): kept during the
run, printed at its end and written to test-artifacts/image-figures.json."""

import json
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
FIGURES: dict[str, dict[str, Any]] = {}


def record(subject: str, name: str, value: Any) -> None:
    """`record("backend", "size_mb", 274.3)`: keep a measured figure for the report."""
    FIGURES.setdefault(subject, {})[name] = value


def report(write_line: Any) -> None:
    """Print every figure, then write them all to the artifacts folder."""
    if not FIGURES:
        return
    for subject, figures in sorted(FIGURES.items()):
        for name, value in figures.items():
            write_line(f"{subject:>9}  {name:<38} {value}")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / "image-figures.json"
    path.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
    write_line(f"(written to {path.relative_to(ARTIFACTS_DIR.parent)})")
