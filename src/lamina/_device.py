"""`lamina.device`: where a tensor's data lives. lamina computes on the CPU only."""

from __future__ import annotations


class device:
    """A device name like torch's: `device('cpu')`; also a context manager for factories."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        if ":" in name:
            name, _, number = name.partition(":")
            index = int(number)
        if name not in ("cpu", "meta"):
            raise RuntimeError(
                f"lamina runs on the CPU only; device '{type}' is not available. "
                "Hint: drop the .to(device) call or pass 'cpu'."
            )
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")
