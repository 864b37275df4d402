"""Run the benchmarks: every `bench/bench_*.py` file's CASES, or only those named.

    python bench/run.py               # everything
    python bench/run.py ops           # bench/bench_ops.py only
    python bench/run.py ops "add"     # cases of bench_ops.py whose name contains "add"

Prints one table per file (see bench/harness.py). Never run by the test suite.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import run  # noqa: E402


def bench_files(selected: str | None) -> list[Path]:
    files = sorted((ROOT / "bench").glob("bench_*.py"))
    if selected:
        files = [f for f in files if f.stem in (selected, f"bench_{selected}")]
        if not files:
            raise SystemExit(f"no bench/bench_{selected}.py")
    return files


def main(argv: list[str]) -> None:
    selected = argv[0] if argv else None
    pattern = argv[1] if len(argv) > 1 else ""
    import numpy as np
    import torch

    print(f"numpy {np.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), {os.cpu_count()} CPUs; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '-')}")
    for path in bench_files(selected):
        module = importlib.import_module(f"bench.{path.stem}")
        cases = [c for c in module.CASES if pattern in c.name]
        if cases:
            print()
            run(cases, title=f"== {path.stem} ==")


if __name__ == "__main__":
    main(sys.argv[1:])
