"""lamina.cuda: there is no GPU, so that `torch.cuda.is_available()` idioms pick the CPU."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed: lamina has no CUDA generator (the CPU one is `lamina.manual_seed`)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed: lamina has no CUDA generator."""


def synchronize(device=None) -> None:
    """Nothing to wait for: every lamina op has finished when it returns."""


def empty_cache() -> None:
    """Nothing cached: lamina holds no device memory."""


from lamina.cuda import amp  # noqa: E402,F401  (torch.cuda.amp is reachable after import torch)
