"""lamina.accelerator: torch's device-agnostic accelerator queries; lamina has none.

So `torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`
picks the CPU, as under a CPU-only torch build.
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator device type in use: None, since the CPU is not an accelerator."""
    return None


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    """Nothing to wait for: every lamina op has finished when it returns."""
