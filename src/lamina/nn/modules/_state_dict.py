"""Module.load_state_dict: copy a checkpoint in, and explain every key that does not fit.

Keys, the missing/unexpected split and torch's own error lines are torch's; after them come
diagnoses torch does not give (a `module.` prefix, renumbered Sequential keys, size mismatches),
each with what to do.
"""

from __future__ import annotations

import re
from collections import OrderedDict, namedtuple
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
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)  # a module's _load_from_state_dict may edit it
    missing: list[str] = []
    unexpected: list[str] = []
    errors: list[str] = []
    for path, module in root.named_modules(remove_duplicate=False):
        local_metadata = {} if metadata is None else dict(metadata.get(path, {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = True
        # torch's protocol, so a module that overrides _load_from_state_dict still works
        module._load_from_state_dict(state_dict, path + "." if path else "", local_metadata,
                                     True, missing, unexpected, errors)
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
    if errors:
        mismatched = [e for e in errors if e.startswith("size mismatch for ")]
        hints = _diagnose(missing, unexpected, mismatched) if strict or mismatched else []
        message = (f"Error(s) in loading state_dict for {type(root).__name__}:\n\t"
                   + "\n\t".join(errors))
        if hints:
            message += "\n" + "\n".join("Hint: " + h for h in hints)
        raise RuntimeError(message)
    return _IncompatibleKeys(missing, unexpected)


def load_from_state_dict(module, state_dict, prefix, local_metadata, strict, missing_keys,
                         unexpected_keys, error_msgs) -> None:
    """One module's share of load_state_dict: its own parameters and persistent buffers."""
    assign = local_metadata.get("assign_to_params_buffers", False)
    members = [(n, p, True) for n, p in module._parameters.items() if p is not None]
    members += [(n, b, False) for n, b in module._buffers.items()
                if b is not None and n not in module._non_persistent_buffers_set]
    for name, target, is_param in members:
        key = prefix + name
        if key not in state_dict:
            missing_keys.append(key)
            continue
        value = state_dict[key]
        if isinstance(value, Tensor):
            array = value._array
        elif isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
        else:
            error_msgs.append(f'While copying the parameter named "{key}", expected Tensor or a '
                              f"NumPy array from checkpoint but received {type(value)}")
            continue
        if target._array.ndim == 0 and array.shape == (1,):
            array = array.reshape(())  # torch's allowance for checkpoints from before 0-d tensors
        if array.shape != target._array.shape:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                              f"{Size(array.shape)} from checkpoint, the shape in current model "
                              f"is {Size(target._array.shape)}.")
            continue
        if assign:
            _assign_member(module, name, target, array, is_param)
        else:
            target._array[...] = array  # casts to the model's dtype, as torch's copy_ does
            target._vc[0] += 1
    if strict:
        local_names = {name for name, _, _ in members}
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            first, dot, _ = key[len(prefix):].partition(".")
            if (first not in module._modules) if dot else (first not in local_names):
                unexpected_keys.append(key)


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
