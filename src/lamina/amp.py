"""lamina.amp: mixed-precision training helpers, for scripts written for GPUs.

`autocast` changes nothing: lamina has no reduced-precision kernels worth switching to on the
CPU, so ops inside it run in their inputs' dtype (torch's CPU autocast would run matmuls and
convolutions in bfloat16 when enabled). `GradScaler` follows torch: disabled, it passes the loss
and the optimizer step through; enabled on the CPU, it scales the loss, unscales the gradients
and skips steps whose gradients are not finite, adapting the scale as torch does.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

__all__ = ["GradScaler", "autocast", "is_autocast_available"]


def is_autocast_available(device_type: str) -> bool:
    return device_type == "cpu"


def _device_available(device_type: str, what: str) -> bool:
    """False, with torch's warning, for a GPU device type (lamina only has the CPU)."""
    if device_type == "cpu":
        return True
    warnings.warn(f"{what} is enabled, but {device_type.upper()} is not available. Disabling.",
                  UserWarning, stacklevel=3)
    return False


class autocast:
    """A context manager (and decorator) that accepts torch's arguments and changes nothing."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(
                f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled) and (
            device_type == "cpu" or _device_available(device_type, "autocast"))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def __call__(self, function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return run


class GradScaler:
    """Loss scaling with torch's update rule (see the module docstring)."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self._device = device
        self._enabled = bool(enabled) and _device_available(
            device, f"torch.{device}.amp.GradScaler")
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
        self._scale = float(np.float32(init_scale))  # torch keeps the scale in float32
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._per_optimizer: dict[int, dict] = {}  # this iteration's unscale/inf record

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """outputs * scale (a tensor, or each tensor of a list/tuple); unchanged if disabled."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(output) for output in outputs)
        return outputs * self._scale

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale, noting whether any is inf or nan."""
        if not self._enabled:
            return
        record = self._per_optimizer.setdefault(id(optimizer), {"unscaled": False})
        if record["unscaled"]:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update().")
        inverse = float(np.float32(1.0 / self._scale))
        found_inf = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                param.grad.mul_(inverse)
                found_inf = found_inf or not bool(np.isfinite(param.grad.numpy()).all())
        record["unscaled"], record["found_inf"] = True, found_inf

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(...) after unscaling, skipped if a gradient is inf or nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError(
                "Closure use is not currently supported if GradScaler is enabled.")
        record = self._per_optimizer.get(id(optimizer))
        if record is None or not record["unscaled"]:
            self.unscale_(optimizer)
            record = self._per_optimizer[id(optimizer)]
        if record.get("stepped"):
            raise RuntimeError("step() has already been called since the last update().")
        record["stepped"] = True
        return None if record["found_inf"] else optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Back off the scale after a skipped step; grow it after growth_interval good ones."""
        if not self._enabled:
            return
        if new_scale is not None:
            from lamina._tensor import Tensor

            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(record.get("found_inf") for record in self._per_optimizer.values()):
                self._scale = float(np.float32(self._scale * self._backoff_factor))
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = np.float32(self._scale * self._growth_factor)
                    if math.isfinite(grown):  # torch keeps the old scale rather than inf
                        self._scale = float(grown)
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]
