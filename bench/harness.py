"""Time lamina against torch, interleaved, and print the ratio lamina/torch per case.

The API other benchmark files use:

    from bench.harness import Case

    CASES = [
        Case("add (2, 20)", lamina=lambda: x + y, torch=lambda: tx + ty),
        ...
    ]

A `bench/bench_<topic>.py` file defines `CASES`, a list of `Case`; `bench/run.py` finds it.
Each `Case` holds:

- `name`: the row label;
- `lamina`, `torch`: zero-argument callables doing the same work (build inputs outside them);
- `number`: calls per timed block; None calibrates it so one block takes about `block`
  seconds (2 ms by default);
- `repeats`: how many blocks of each library are timed (default 41);
- `self_timed`: if True each callable times itself and returns seconds (for work that cannot
  be repeated in-process, such as `import` in a subprocess); `number` is then 1.

`measure(case, clock)` returns a `Result` (medians in seconds per call); `print_table(results)`
prints the table; `run(cases, title, clock)` does both. The two libraries alternate block by
block, and which one goes first alternates too, so drift in machine load (other jobs, CPU
frequency) hits both alike. Every callable runs a few times first as warm-up. Medians, not
means, so a stray slow block does not count.

`clock` is wall time (`time.perf_counter`) by default. On a machine shared with other jobs,
pass `time.process_time` (CPU seconds of this process): time spent preempted then does not
count. With several BLAS threads it adds up every thread's CPU time, spinning included, so use
it together with single-threaded libraries (`bench/run.py --threads 1 --cpu`).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Case:
    name: str
    lamina: Callable
    torch: Callable
    number: int | None = None
    repeats: int = 41
    self_timed: bool = False
    block: float = 0.002


@dataclass
class Result:
    name: str
    lamina: float  # median seconds per call
    torch: float
    number: int
    repeats: int

    @property
    def ratio(self) -> float:
        return self.lamina / self.torch


def _block(function: Callable, number: int, self_timed: bool, clock: Callable) -> float:
    if self_timed:
        return function()
    start = clock()
    for _ in range(number):
        function()
    return (clock() - start) / number


def _calibrate(case: Case) -> int:
    """Calls per block so the slower library's block takes about `case.block` seconds."""
    slowest = 0.0
    for function in (case.lamina, case.torch):
        for _ in range(3):
            function()  # warm-up: first calls pay for caches and lazy imports
        start = time.perf_counter()
        function()
        slowest = max(slowest, time.perf_counter() - start)
    return max(1, min(10_000, int(case.block / max(slowest, 1e-7))))


def measure(case: Case, clock: Callable = time.perf_counter) -> Result:
    """Median seconds per call of each library, timed in alternating blocks."""
    number = 1 if case.self_timed else (case.number or _calibrate(case))
    samples = {"lamina": [], "torch": []}
    for repeat in range(case.repeats):
        order = ("lamina", "torch") if repeat % 2 == 0 else ("torch", "lamina")
        for library in order:
            function = case.lamina if library == "lamina" else case.torch
            samples[library].append(_block(function, number, case.self_timed, clock))
    return Result(case.name, statistics.median(samples["lamina"]),
                  statistics.median(samples["torch"]), number, case.repeats)


def _duration(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} us"


def print_table(results: list[Result], title: str = "") -> None:
    """One row per case: lamina and torch medians and the ratio lamina/torch (lower is better)."""
    width = max([len(r.name) for r in results] + [len("case")])
    if title:
        print(title)
    print(f"{'case':<{width}}  {'lamina':>11}  {'torch':>11}  {'lamina/torch':>12}")
    for r in results:
        print(f"{r.name:<{width}}  {_duration(r.lamina):>11}  {_duration(r.torch):>11}  "
              f"{r.ratio:>12.2f}")


def run(cases: list[Case], title: str = "", clock: Callable = time.perf_counter) -> list[Result]:
    """Measure every case, then print the table."""
    results = [measure(case, clock) for case in cases]
    print_table(results, title)
    return results
