"""Run the benchmarks: every `bench/bench_*.py` file's CASES, or only those named.

    python bench/run.py               # everything
    python bench/run.py ops           # bench/bench_ops.py only
    python bench/run.py ops "add"     # cases of bench_ops.py whose name contains "add"
    python bench/run.py --threads 1   # both libraries single-threaded (BLAS and torch)
    python bench/run.py --threads 1 --cpu   # ...and count CPU time, not wall time

`--threads N` sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS/MKL_NUM_THREADS before NumPy loads and
calls torch.set_num_threads(N): on a loaded machine, multi-threaded BLAS in either library can
spend more time waiting at thread barriers than computing. Without it, defaults are kept.
`--cpu` times with CPU seconds of this process instead of wall time (see bench/harness.py).

Prints one table per file (see bench/harness.py). Never run by the test suite.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
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
    clock = time.perf_counter
    if "--cpu" in argv:
        argv = [a for a in argv if a != "--cpu"]
        clock = time.process_time
    threads = None
    if "--threads" in argv:
        at = argv.index("--threads")
        threads = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(threads)
    selected = argv[0] if argv else None
    pattern = argv[1] if len(argv) > 1 else ""
    import numpy as np
    import torch

    if threads is not None:
        torch.set_num_threads(threads)

    print(f"numpy {np.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), {os.cpu_count()} CPUs; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '-')}; "
          f"{'CPU' if clock is time.process_time else 'wall'} time")
    for path in bench_files(selected):
        module = importlib.import_module(f"bench.{path.stem}")
        cases = [c for c in module.CASES if pattern in c.name]
        if cases:
            print()
            run(cases, title=f"== {path.stem} ==", clock=clock)


if __name__ == "__main__":
    main(sys.argv[1:])
