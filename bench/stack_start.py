"""Stack cold start: time from Stack(...).start() to every service ready, and to everything stopped.

Run: `.venv/bin/python -m bench.stack_start [RUNS]` (target: start under 1 s).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from harness.settings import load_settings
from harness.stack import Stack


def main(runs: int = 20) -> None:
    """Print the median and worst start and stop times over `runs` fresh stacks."""
    settings = load_settings(root=Path.cwd())
    starts, stops = [], []
    services: list[str] = []
    for _ in range(runs):
        began = time.perf_counter()
        stack = Stack(settings).start()
        ready = time.perf_counter()
        services = list(stack.urls)
        stack.stop()
        starts.append(ready - began)
        stops.append(time.perf_counter() - ready)
    print(f"stack cold start ({', '.join(services)}), {runs} runs:")
    median, worst = statistics.median(starts) * 1000, max(starts) * 1000
    print(f"  start  median {median:7.1f} ms   max {worst:7.1f} ms   (target < 1000 ms)")
    print(f"  stop   median {statistics.median(stops) * 1000:7.1f} ms   max {max(stops) * 1000:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
