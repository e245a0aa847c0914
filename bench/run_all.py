"""`make bench`: every benchmark in turn, each printing its own figures."""

import runpy
import sys
from pathlib import Path

BENCHMARKS = sorted(Path(__file__).parent.glob("*_bench.py"))

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    for script in BENCHMARKS:
        print(f"\n==> {script.name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
