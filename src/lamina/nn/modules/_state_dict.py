"""Module.load_state_dict: copy a checkpoint in, and explain every key that does not fit.

Keys, the missing/unexpected split and torch's own error lines are torch's; after them come
diagnoses torch does not give (a `module.` prefix, renumbered Sequential keys, size mismatches),
each with what to do.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Mapping

import numpy as np

from lamina._tensor import Size, Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What `load_state_dict` returns: the keys it did not find and the ones it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_NUMBER = re.compile(r"(?<![^.])\d+(?![^.])")  # a whole dotted component made of digits


def load_state_dict(root, state_dict, strict: bool, assign: bool):
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing: list[str] = []
    unexpected: list[str] = []
    errors: list[str] = []
    mismatched: list[str] = []
    for prefix, module in root.named_modules(remove_duplicate=False):
        prefix = prefix + "." if prefix else ""
        _load_module(module, state_dict, prefix, assign, missing, errors, mismatched)
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            first, dot, _ = key[len(prefix):].partition(".")
            if dot:
                if first not in module._modules:
                    unexpected.append(key)
            elif not _is_local(module, first):
                unexpected.append(key)
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
    if errors:
        hints = _diagnose(missing, unexpected, mismatched) if strict or mismatched else []
        message = (f"Error(s) in loading state_dict for {type(root).__name__}:\n\t"
                   + "\n\t".join(errors))
        if hints:
            message += "\n" + "\n".join("Hint: " + h for h in hints)
        raise RuntimeError(message)
    return _IncompatibleKeys(missing, unexpected)


def _is_local(module, name: str) -> bool:
    if module._parameters.get(name) is not None:
        return True
    return (module._buffers.get(name) is not None
            and name not in module._non_persistent_buffers_set)


def _load_module(module, state_dict, prefix, assign, missing, errors, mismatched) -> None:
    locals_ = [(n, p, True) for n, p in module._parameters.items() if p is not None]
    locals_ += [(n, b, False) for n, b in module._buffers.items()
                if b is not None and n not in module._non_persistent_buffers_set]
    for name, target, is_param in locals_:
        key = prefix + name
        if key not in state_dict:
            missing.append(key)
            continue
        value = state_dict[key]
        if isinstance(value, Tensor):
            array = value._array
        elif isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
        else:
            errors.append(f'While copying the parameter named "{key}", expected Tensor or a '
                          f"NumPy array from checkpoint but received {type(value)}")
            continue
        if target._array.ndim == 0 and array.shape == (1,):
            array = array.reshape(())  # torch's allowance for checkpoints from before 0-d tensors
        if array.shape != target._array.shape:
            errors.append(f"size mismatch for {key}: copying a param with shape "
                          f"{Size(array.shape)} from checkpoint, the shape in current model is "
                          f"{Size(target._array.shape)}.")
            mismatched.append(key)
            continue
        if assign:
            _assign_member(module, name, target, array, is_param)
        else:
            target._array[...] = array  # casts to the model's dtype, as torch's copy_ does
            target._vc[0] += 1


def _assign_member(module, name, target, array, is_param) -> None:
    from lamina.nn.parameter import Parameter

    if is_param:
        module._parameters[name] = Parameter(array, requires_grad=target.requires_grad)
    else:
        from lamina._tensor import _wrap

        module._buffers[name] = _wrap(array)


def _diagnose(missing: list[str], unexpected: list[str], mismatched: list[str]) -> list[str]:
    hints = []
    missing_set = set(missing)
    stripped = [k[len("module."):] for k in unexpected if k.startswith("module.")]
    if stripped and missing_set and missing_set <= set(stripped):
        hints.append(
            "the checkpoint's keys start with 'module.' (it was saved from nn.DataParallel or "
            "DistributedDataParallel); strip the prefix: "
            "{k.removeprefix('module.'): v for k, v in state_dict.items()}"
        )
    added = [k[len("module."):] for k in missing if k.startswith("module.")]
    if added and set(unexpected) and set(unexpected) <= set(added):
        hints.append(
            "the model's keys start with 'module.' but the checkpoint's do not; load into the "
            "wrapped model (model.module.load_state_dict(...)) or add the prefix to the keys"
        )
    if not hints and missing and unexpected:
        renumbered = _renumbered(missing, unexpected)
        if renumbered:
            pairs = ", ".join(f"'{old}' -> '{new}'" for old, new in renumbered[:4])
            more = ", ..." if len(renumbered) > 4 else ""
            hints.append(
                "the keys differ only in their numbers, as when a layer without parameters "
                "(ReLU, Dropout...) was added to or removed from a Sequential, which renumbers "
                f"the layers after it. Rename the checkpoint's keys in order: {pairs}{more}"
            )
    if mismatched:
        hints.append(
            f"{len(mismatched)} key(s) have the wrong shape: the model was built with other "
            "sizes than the checkpoint's (compare the shapes above with the layers' arguments, "
            "e.g. Linear(in_features, out_features) stores weight as (out_features, "
            "in_features)); build it with the checkpoint's sizes, or delete those keys from the "
            "state_dict and load with strict=False"
        )
    return hints


def _renumbered(missing: list[str], unexpected: list[str]) -> list[tuple[str, str]]:
    """Pairs (checkpoint key, model key) when both lists match once numbers are ignored."""
    if len(missing) != len(unexpected):
        return []
    pattern = lambda key: _NUMBER.sub("#", key)  # noqa: E731
    if [pattern(k) for k in unexpected] != [pattern(k) for k in missing]:
        return []
    return list(zip(unexpected, missing))
