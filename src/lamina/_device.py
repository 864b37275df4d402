"""`lamina.device`: where a tensor's data lives. lamina computes on the CPU only.

Any device name torch knows can be *named* (so `device("cuda" if cuda_ok else "cpu")` and
comparisons work); asking for data on one lamina does not have raises when it is used.
"""

from __future__ import annotations

_KNOWN_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)
_AVAILABLE_TYPES = ("cpu", "meta")


class device:
    """A device name like torch's: `device('cpu')`, `device('cuda', 0)`, `device('cuda:0')`."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        if ":" in name:
            name, _, number = name.partition(":")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if name not in _KNOWN_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device "
                f"string: {type}"
            )
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError(f"device.{name} is read-only")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # like torch, a device never equals a string: compare `x.device.type == "cpu"`
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    # `with lamina.device("meta"):` makes factories without a `device=` build on this device
    def __enter__(self):
        _default_stack.append(self)
        return self

    def __exit__(self, *exc_info):
        _default_stack.pop()
        return False


CPU = device("cpu")
_default_stack: list = []


def default_device() -> device:
    """The device factories use when given none: the innermost `with device(...)`, else CPU."""
    return _default_stack[-1] if _default_stack else CPU


def check_available(name) -> device:
    """`name` as a device lamina can put data on; AssertionError (as torch without CUDA) if not."""
    if name is None:
        return default_device()
    result = name if isinstance(name, device) else device(name)
    if result.type not in _AVAILABLE_TYPES:
        raise AssertionError(
            f"lamina runs on the CPU only; device '{result}' is not available. "
            "Hint: use 'cpu', or pick the device with "
            "`'cuda' if lamina.cuda.is_available() else 'cpu'`."
        )
    return result
