"""Stack cold start: time from Stack(...).start() to every service ready (the card's pcscd and CA included), to
everything stopped, and the stack's memory without a browser.

Run: `.venv/bin/python -m bench.stack_start [RUNS]` (targets: start ≤ 0.3 s, memory under 200 MB).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from harness.settings import Settings, load_settings
from harness.stack import Stack


def _rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(settings: Settings) -> None:
    """Resident memory of this process with a stack up (and of the stack's private pcscd), no browser."""
    with Stack(settings) as stack:
        pcscd = sum(
            _rss_kib(pid.name)
            for pid in Path("/proc").iterdir()
            if pid.name.isdigit() and "pcscd" in (pid / "comm").read_text(errors="ignore")
        )
        total = (_rss_kib() + pcscd) / 1024
        print(
            f"  memory  {total:7.1f} MB resident (this process with {len(stack.urls)} services, plus pcscd "
            f"{pcscd / 1024:.1f} MB) (target < 200 MB)"
        )


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
    memory(settings)
    median, worst = statistics.median(starts) * 1000, max(starts) * 1000
    print(f"  start  median {median:7.1f} ms   max {worst:7.1f} ms   (target ≤ 300 ms)")
    print(f"  stop   median {statistics.median(stops) * 1000:7.1f} ms   max {max(stops) * 1000:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
