"""The dicts a Module keeps its parameters, buffers and children in.

`module.weight` must be fast: it is read on every forward. Python only calls
`Module.__getattr__` after a failed normal lookup, and that failure builds an AttributeError
(about 1 us, more than the layer's own Python overhead). So each member dict also writes its
entries into the module's `__dict__`, where normal lookup finds them at once. The dicts stay
the single source of truth: every write to them, ours or a user's (`model._modules["fc"] = ...`),
goes through the methods below, and `Module.__setattr__` re-mirrors a dict assigned whole.
"""

from __future__ import annotations


class MemberDict(dict):
    """A dict whose writes are mirrored into `mirror` (the owning module's `__dict__`)."""

    __slots__ = ("_mirror",)

    def __init__(self, mirror: dict, items=()):
        super().__init__()
        self._mirror = mirror
        for key, value in dict(items).items():
            self[key] = value

    def __setitem__(self, key, value) -> None:
        dict.__setitem__(self, key, value)
        self._mirror[key] = value

    def __delitem__(self, key) -> None:
        dict.__delitem__(self, key)
        self._mirror.pop(key, None)

    def pop(self, key, *default):
        if key in self:
            self._mirror.pop(key, None)
        return dict.pop(self, key, *default)

    def popitem(self):
        key, value = dict.popitem(self)
        self._mirror.pop(key, None)
        return key, value

    def clear(self) -> None:
        for key in self:
            self._mirror.pop(key, None)
        dict.clear(self)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other):
        self.update(other)
        return self

    def __reduce__(self):
        # Pickled and deep-copied as a plain dict; Module.__setstate__ mirrors it again.
        return (dict, (dict(self),))

    def forget_mirror(self) -> None:
        """Remove this dict's entries from the module's __dict__ (before it is replaced)."""
        for key, value in self.items():
            if self._mirror.get(key) is value:
                del self._mirror[key]
