"""Random numbers: a `Generator` per stream and the default one that `manual_seed` reseeds."""

from __future__ import annotations

import numpy as np


class Generator:
    """A seeded random stream (NumPy's PCG64 underneath). Same seed, same numbers."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # torch's default seed, so an unseeded run is repeatable
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed & ((1 << 64) - 1)))
        return self

    def seed(self) -> int:
        self._seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from lamina._tensor import _wrap

        state = self._rng.bit_generator.state
        numbers = [state["state"]["state"], state["state"]["inc"], state["has_uint32"],
                   state["uinteger"]]
        raw = b"".join(int(n).to_bytes(16, "little") for n in numbers)
        return _wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        raw = bytes(np.asarray(new_state._array, dtype=np.uint8))
        numbers = [int.from_bytes(raw[i : i + 16], "little") for i in range(0, 64, 16)]
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": numbers[0], "inc": numbers[1]},
            "has_uint32": numbers[2],
            "uinteger": numbers[3],
        }
        return self

    @property
    def device(self):
        from lamina._device import CPU

        return CPU


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator; seeded runs then repeat exactly."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def _rng(generator) -> np.random.Generator:
    return (generator or default_generator)._rng


def _fill(tensor, kind: str, a, b, generator):
    """Fill `tensor` in place from a distribution, in its own dtype (no float64 detour)."""
    tensor._overwrite()
    if tensor.is_meta:  # a meta tensor has no values to draw
        return tensor
    array = tensor._array
    rng = _rng(generator)
    shape, dtype = array.shape, array.dtype
    if kind == "uniform":
        if dtype.kind == "f" and dtype.itemsize >= 4:
            values = rng.random(shape, dtype=dtype)
            values *= dtype.type(b - a)
            values += dtype.type(a)
        else:
            values = rng.uniform(a, b, shape)
    elif kind == "normal":
        if dtype.kind == "f" and dtype.itemsize >= 4:
            values = rng.standard_normal(shape, dtype=dtype)
            values *= dtype.type(b)
            values += dtype.type(a)
        else:
            values = rng.normal(a, b, shape)
    elif kind == "bernoulli":
        probability = np.asarray(a)
        values = rng.random(shape, dtype=np.float32) < probability
    elif kind == "exponential":
        values = rng.standard_exponential(shape, dtype=np.float32) / a
    else:  # integers in [a, b)
        if b is None:
            a, b = 0, a if a else np.iinfo(np.int64).max if dtype.kind != "f" else 2**24
        values = rng.integers(a, b, shape)
    array[...] = values
    tensor._vc[0] += 1
    return tensor
