"""Variable: the pre-0.4 wrapper, kept as torch keeps it: it returns a plain Tensor.

torch also makes `isinstance(tensor, Variable)` true through a metaclass; lamina's Variable is
a function (no metaclasses here), so that check is the one spelling that differs.
"""

from __future__ import annotations

import warnings

from lamina._tensor import Tensor


def Variable(data=None, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """A new Tensor sharing `data`'s storage, detached from its history, with `requires_grad`."""
    if volatile:
        warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                      "instead.", UserWarning, stacklevel=2)
    if data is None:
        from lamina._creation import empty

        data = empty(0)
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    return data.detach().requires_grad_(requires_grad)
