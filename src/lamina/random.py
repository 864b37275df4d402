"""Random numbers: a `Generator` per stream and the default one that `manual_seed` reseeds.

The stream is torch's: the same 32-bit Mersenne Twister (MT19937, seeded as torch seeds it),
and `rand`, `randn`, `randint`, `randperm`, `uniform_` and `normal_` turn its words into
numbers with torch's recipes, so `manual_seed(0)` then `randn(3)` (and so default layer
initialisation) gives torch's values; float32 ones can differ in the last bit where torch's
vectorised log/cos round differently. Other draws (dropout masks, bernoulli, `_rng(...)`
users) come from the same stream through NumPy's own algorithms and do not match torch's.
"""

from __future__ import annotations

import math

import numpy as np

_DEFAULT_SEED = 67280421310721  # torch's default seed, so an unseeded run repeats too
_MASK24 = (1 << 24) - 1
_MASK53 = (1 << 53) - 1


class Generator:
    """A seeded random stream. Same seed, same numbers (and torch's numbers, see above)."""

    def __init__(self, device="cpu"):
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._bits = np.random.MT19937()
        self._bits._legacy_seeding(self._seed & 0xFFFFFFFF)  # torch keeps the low 32 bits
        self._rng = np.random.Generator(self._bits)
        self._normal_cache = None  # torch's scalar normal sampler makes pairs and keeps one
        return self

    def seed(self) -> int:
        seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 tensor (lamina's own layout, not torch's)."""
        from lamina._tensor import _wrap

        state = self._bits.state["state"]
        cache = math.nan if self._normal_cache is None else self._normal_cache
        raw = (state["key"].astype("<u4").tobytes() + int(state["pos"]).to_bytes(8, "little")
               + np.array([cache], "<f8").tobytes())
        return _wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        raw = np.asarray(new_state._array, dtype=np.uint8).tobytes()
        if len(raw) != 624 * 4 + 16:
            raise RuntimeError(
                f"set_state: expected a state of {624 * 4 + 16} bytes from get_state(), "
                f"got {len(raw)}"
            )
        key = np.frombuffer(raw[: 624 * 4], "<u4").astype(np.uint32)
        position = int.from_bytes(raw[624 * 4 : 624 * 4 + 8], "little")
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": key, "pos": position}}
        cache = float(np.frombuffer(raw[-8:], "<f8")[0])
        self._normal_cache = None if math.isnan(cache) else cache
        return self

    @property
    def device(self):
        from lamina._device import CPU

        return CPU

    # -- torch's recipes ----------------------------------------------------------------------
    def _words(self, count: int) -> np.ndarray:
        """The next `count` 32-bit words of the Mersenne Twister, as uint64."""
        return self._bits.random_raw(count)

    def _unit(self, count: int, dtype: np.dtype) -> np.ndarray:
        """`count` uniform [0, 1) values as torch draws them: 24 bits for float32/float16 (one
        word each), 53 bits for float64 (two words each), as float64."""
        if dtype == np.float64:
            words = self._words(2 * count)
            return ((words[0::2] << 32 | words[1::2]) & _MASK53) * (1.0 / (1 << 53))
        return (self._words(count) & _MASK24) * (1.0 / (1 << 24))

    def uniform(self, shape, dtype: np.dtype, low: float, high: float) -> np.ndarray:
        """torch's uniform_: values in [low, high), in `dtype`."""
        count = math.prod(shape)
        compute = np.float64 if dtype == np.float64 else np.float32
        span, start = compute(high) - compute(low), compute(low)
        values = (self._unit(count, dtype) * span + start).astype(dtype)
        values[values == dtype.type(high)] = dtype.type(low)  # torch's guard against rounding up
        return values.reshape(shape)

    def normal(self, shape, dtype: np.dtype, mean: float, std: float) -> np.ndarray:
        """torch's normal_: Box-Muller on blocks of 16 from 16 values on, pairwise below."""
        count = math.prod(shape)
        if count < 16:
            return self._normal_pairs(count, mean, std).astype(dtype).reshape(shape)
        compute = np.dtype(np.float64 if dtype == np.float64 else np.float32)
        if dtype == compute:  # all uniforms first, then a fresh 16 for a ragged tail
            values = self._unit(count, dtype).astype(compute)
        else:  # half precision: torch draws block by block
            values = np.empty(count, compute)
            values[: count - count % 16] = self._unit(count - count % 16, dtype)
        _box_muller_16(values[: count - count % 16], compute, mean, std)
        if count % 16:
            tail = self._unit(16, dtype).astype(compute)
            _box_muller_16(tail, compute, mean, std)
            values[count - 16:] = tail
        return values.astype(dtype, copy=False).reshape(shape)

    def _normal_pairs(self, count: int, mean: float, std: float) -> np.ndarray:
        # torch's scalar sampler: double precision, one cos sample returned, the sin one kept
        out = np.empty(count, np.float64)
        for i in range(count):
            if self._normal_cache is not None:
                value, self._normal_cache = self._normal_cache, None
            else:
                u1, u2 = self._unit(2, np.dtype(np.float64))
                radius = math.sqrt(-2.0 * math.log1p(-u2))
                theta = 2.0 * math.pi * u1
                self._normal_cache = radius * math.sin(theta)
                value = radius * math.cos(theta)
            out[i] = value * std + mean
        return out

    def integers(self, low: int, high: int, shape) -> np.ndarray:
        """torch's random_(low, high): a word (two above 2**32 values) modulo the range."""
        count, span = math.prod(shape), high - low
        if span >= 1 << 32:
            words = self._words(2 * count)
            draws = (words[0::2] << 32 | words[1::2]) % np.uint64(span)
        else:
            draws = self._words(count) % np.uint64(span)
        return (draws.astype(np.int64) + low).reshape(shape)

    def permutation(self, n: int) -> np.ndarray:
        """torch's randperm: swap each position with a later one, front to back."""
        order = np.arange(n, dtype=np.int64)
        if n < 2:
            return order
        picks = (self._words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
        for i, pick in enumerate(picks):  # sequential by nature: each swap sees the last
            j = i + pick
            order[i], order[j] = order[j], order[i]
        return order


def _box_muller_16(values: np.ndarray, dtype: np.dtype, mean: float, std: float) -> None:
    """In place, per block of 16 uniforms: the first 8 become r*cos, the last 8 r*sin."""
    blocks = values.reshape(-1, 2, 8)
    radius = np.sqrt(dtype.type(-2.0) * np.log(dtype.type(1.0) - blocks[:, 0]))
    theta = dtype.type(2.0 * math.pi) * blocks[:, 1]
    first, second = radius * np.cos(theta), radius * np.sin(theta)
    blocks[:, 0] = first * dtype.type(std) + dtype.type(mean)
    blocks[:, 1] = second * dtype.type(std) + dtype.type(mean)


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
    stream = generator or default_generator
    if kind == "uniform" and dtype.kind == "f":
        values = stream.uniform(shape, dtype, a, b)
    elif kind == "normal" and dtype.kind == "f":
        values = stream.normal(shape, dtype, a, b)
    elif kind in ("uniform", "normal"):
        raise RuntimeError(f"{kind}_: expected a floating point tensor, got {tensor.dtype}")
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
