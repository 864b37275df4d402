"""NumPy's spellings torch also accepts: `axis=` for `dim=` and `keepdims=` for `keepdim=`.

One decorator serves every reduction and join: it renames the two keywords and otherwise calls
straight through, so the usual `dim=` call pays one dict lookup. It wraps the public functions
(`numpy_keywords.py`) and Tensor's methods (`_tensor_methods.py`). No op imports here, so
`_tensor_methods` can use it at class-definition time.
"""

from __future__ import annotations

import functools

_RENAMES = (("axis", "dim"), ("keepdims", "keepdim"))


def _rename(kwargs: dict, name: str) -> dict:
    for numpy_name, torch_name in _RENAMES:
        if numpy_name in kwargs:
            if torch_name in kwargs:
                raise TypeError(f"{name}() got both '{torch_name}' and its alias "
                                f"'{numpy_name}'; pass only one")
            kwargs[torch_name] = kwargs.pop(numpy_name)
    return kwargs


def numpy_keywords(function):
    """`function`, also accepting axis= for dim= and keepdims= for keepdim=."""
    name = function.__name__

    @functools.wraps(function)
    def accept(*args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            _rename(kwargs, name)
        return function(*args, **kwargs)

    return accept
