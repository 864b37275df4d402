"""_single, _pair, _triple: turn an int or an iterable argument into a tuple of n ints."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["_ntuple", "_pair", "_quadruple", "_single", "_triple"]


def _ntuple(n: int, name: str = "parse"):
    """A parser that repeats a scalar n times and turns an iterable into a tuple, as torch's."""

    def parse(value):
        if isinstance(value, Iterable):
            return tuple(value)
        return (value,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")
