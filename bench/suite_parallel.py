"""The whole Gherkin suite with one and with two pytest-xdist workers (a stack each): wall times and speed-up.

Run: `.venv/bin/python -m bench.suite_parallel` (target speed-up ≥ 1.7x on this 2-core machine).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def suite(workers: int) -> float:
    """Wall time of `pytest steps -n <workers>`."""
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "steps",
                "-q",
                "-p",
                "no:cacheprovider",
                "-n",
                str(workers),
                "--alluredir",
                folder,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - began


def main() -> None:
    """Print both wall times and the speed-up."""
    one, two = suite(1), suite(2)
    print(f"Gherkin suite: -n 1 {one:.1f} s, -n 2 {two:.1f} s, speed-up {one / two:.2f}x (target ≥ 1.7x)")


if __name__ == "__main__":
    main()
