"""Optimizer: parameter groups, per-parameter state, and a state_dict in torch's layout.

Subclasses implement `_update_group(group)`, which updates the parameters of one group in
place. Updates work on the parameters' NumPy arrays directly (so nothing is recorded by
autograd) and bump each parameter's version counter, so a graph that saved a parameter before
the step refuses to backward through the stale value, as torch does.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from lamina._tensor import Tensor, _wrap
from lamina.autograd.grad_mode import enable_grad


class _RequiredParameter:
    """Marks a default (such as SGD's `lr` in old torch) that every group must set itself."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers: holds `param_groups`, `state` and `defaults`.

    `params` is an iterable of Tensors, of `(name, Tensor)` pairs, or of dicts each holding a
    group's `params` and any options that differ from `defaults`.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got a {type(params).__name__}. Hint: pass model.parameters() or "
                "[tensor]."
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(
                "optimizer got an empty parameter list. Hint: does the model have any "
                "parameters, and was model.parameters() consumed by an earlier optimizer?"
            )
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with its own options falling back to `defaults`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        param_group["params"] = params

        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__module__}.{type(param).__name__} (params[{index}])"
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (params[{index}] of shape "
                    f"{tuple(param.shape)} was computed by {param.grad_fn.name()}). Hint: "
                    "optimize the leaf it came from, or .detach().requires_grad_() it."
                )
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        if len({id(p) for p in params}) != len(params):
            import warnings

            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {kind} to the optimizer"
                )
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: drop them (default), or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    grad.grad_fn = None
                    grad._requires_grad = False
                    grad._array.fill(0)
                    grad._vc[0] += 1

    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True
        with np.errstate(all="ignore"):  # an inf or nan gradient gives nan silently, as torch
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _params_with_grad(self, group: dict, with_state: bool = True):
        """(param, state, grad array) for each parameter of the group that has a gradient.

        With `with_state=False` the state is None and no state entry is created (torch's SGD
        without momentum keeps no state at all).

        `maximize` negates the gradient and an L2 `weight_decay` adds `weight_decay * param`,
        both into a new array: the user's `.grad` is never changed.
        """
        maximize = group.get("maximize", False)
        weight_decay = _number(group.get("weight_decay", 0))
        decoupled = group.get("decoupled_weight_decay", False)
        state = self.state
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad._array
            if maximize:
                grad = np.negative(grad, out=np.empty_like(grad))
            if weight_decay != 0 and not decoupled:
                grad = np.add(grad, weight_decay * p._array, out=np.empty_like(grad))
            p._vc[0] += 1
            yield p, state[p] if with_state else None, grad

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """`{'state': {index: {...}}, 'param_groups': [...]}` with parameters as indices.

        The layout is torch's, so a checkpoint written by `lamina.save` loads in torch. The
        state tensors are the live ones (not copies), as in torch.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            (index_of[id(key)] if isinstance(key, Tensor) else key): value
            for key, value in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and per-parameter state saved by `state_dict()`.

        State tensors are copied (and cast to their parameter's float dtype, except `step`),
        so the optimizer never shares buffers with the dictionary it was loaded from.
        """
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(
                    f"{key!r}: an optimizer state_dict holds 'state' and 'param_groups'; got keys "
                    f"{sorted(map(str, state_dict))}"
                )
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than this optimizer ({len(groups)})"
            )
        sizes = [len(g["params"]) for g in groups]
        saved_sizes = [len(g["params"]) for g in saved_groups]
        if sizes != saved_sizes:
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                f"optimizer's group: saved groups hold {saved_sizes} parameters, this optimizer's "
                f"hold {sizes}"
            )
        param_of = {
            saved: p
            for saved_group, group in zip(saved_groups, groups)
            for saved, p in zip(saved_group["params"], group["params"])
        }
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            param = param_of.get(key)
            if param is None:
                state[key] = copy.deepcopy(value)
            else:
                state[param] = {name: _cast_state(param, name, v) for name, v in value.items()}
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            for key, default in self.defaults.items():  # checkpoints from older versions
                saved.setdefault(key, default)
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _cast_state(param: Tensor, name, value):
    """A private copy of one saved state entry, as a Tensor in the parameter's float dtype."""
    if isinstance(value, np.ndarray):
        value = _wrap(value)
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    array = value._array
    if name != "step" and param._array.dtype.kind == "f":
        return _wrap(array.astype(param._array.dtype, copy=True))
    return _wrap(array.copy())


def _number(value) -> float:
    """A hyperparameter as a Python float (a one-element Tensor is accepted, as in torch).

    NumPy scalars become Python floats too: an `np.float64` operand would turn float32
    updates into float64 arithmetic, while a Python float keeps them in float32.
    """
    return float(value.item() if isinstance(value, Tensor) else value)


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _number(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_non_negative(name: str, value, label: str | None = None) -> None:
    if not 0.0 <= _number(value):
        raise ValueError(f"Invalid {label or name} value: {value}")


def _check_betas(betas) -> None:
    for index in (0, 1):
        if not 0.0 <= _number(betas[index]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {betas[index]}")


def _check_unsupported(differentiable: bool) -> None:
    if differentiable:
        raise ValueError(
            "differentiable=True is not supported: lamina's optimizers update parameters in "
            "place outside autograd. Hint: write the update with Tensor ops to differentiate it."
        )


def _new_step() -> Tensor:
    """The per-parameter step counter: a float32 scalar tensor, as torch stores it."""
    return _wrap(np.zeros((), dtype=np.float32))


def _advance(step: Tensor) -> float:
    step._array += 1
    return float(step._array)


def _sqrt(array) -> np.ndarray:
    """A new array holding sqrt(array); an array even for 0-d input (NumPy gives a scalar)."""
    return np.sqrt(array, out=np.empty_like(array))


def _lerp_(array: np.ndarray, end: np.ndarray, weight: float) -> None:
    """array <- array + weight * (end - array), in torch's two-sided form for accuracy."""
    difference = end - array
    if abs(weight) < 0.5:
        difference *= weight
        array += difference
    else:
        difference *= 1.0 - weight
        np.subtract(end, difference, out=array)
