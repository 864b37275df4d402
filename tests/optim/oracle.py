"""The optimizer oracle: torch and lamina fed identical parameters and gradients."""

from __future__ import annotations

import copy

import numpy as np
import torch
from tests.helpers import assert_close

import lamina

SHAPES = ((4, 3), (3,), ())


def make_problem(steps: int, shapes=SHAPES, seed: int = 0, dtype=np.float32):
    """Initial parameter values and a gradient per step (independent of the parameters)."""
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    return initial, grads


def lamina_params(initial):
    return [lamina.tensor(a.copy(), requires_grad=True) for a in initial]


def torch_params(initial):
    return [torch.tensor(a.copy(), requires_grad=True) for a in initial]


def set_grads(params, grads, module) -> None:
    for p, g in zip(params, grads):
        p.grad = module.tensor(g.copy())


def run_against_torch(ours_cls, torch_cls, kwargs, steps=20, seed=0, groups=None,
                      dtype=np.float32):
    """Step both optimizers `steps` times; check every parameter after every step.

    `groups` optionally splits the parameters into param groups: a list of (indices, options).
    Returns the two optimizers and their parameters for further checks.
    """
    initial, grads = make_problem(steps, seed=seed, dtype=dtype)
    ours, theirs = lamina_params(initial), torch_params(initial)

    def grouped(params):
        if groups is None:
            return params
        return [dict(params=[params[i] for i in idx], **opts) for idx, opts in groups]

    opt_ours = ours_cls(grouped(ours), **kwargs)
    opt_theirs = torch_cls(grouped(theirs), **kwargs)
    for step in range(steps):
        set_grads(ours, grads[step], lamina)
        set_grads(theirs, grads[step], torch)
        opt_ours.step()
        opt_theirs.step()
        for a, b in zip(ours, theirs):
            assert_close(a, b)
    return opt_ours, opt_theirs, ours, theirs


def check_resume(ours_cls, torch_cls, kwargs, steps=20, split=10, seed=1):
    """Save the state mid-run, load it into a fresh optimizer and continue: identical to an
    uninterrupted torch run, and the state_dict has torch's layout."""
    initial, grads = make_problem(steps, seed=seed)
    ours, theirs = lamina_params(initial), torch_params(initial)
    opt_ours, opt_theirs = ours_cls(ours, **kwargs), torch_cls(theirs, **kwargs)
    for step in range(split):
        set_grads(ours, grads[step], lamina)
        set_grads(theirs, grads[step], torch)
        opt_ours.step()
        opt_theirs.step()
    saved = copy.deepcopy(opt_ours.state_dict())
    reference = opt_theirs.state_dict()
    assert_same_layout(saved, reference)

    resumed = lamina_params([p.detach().numpy() for p in ours])
    opt_resumed = ours_cls(resumed, **kwargs)
    opt_resumed.load_state_dict(saved)
    # the loaded optimizer must own its buffers: changing the saved dict changes nothing
    for entry in saved["state"].values():
        for value in entry.values():
            if isinstance(value, lamina.Tensor) and value.numel():
                value._array[...] = 123.0
    for step in range(split, steps):
        set_grads(resumed, grads[step], lamina)
        set_grads(theirs, grads[step], torch)
        opt_resumed.step()
        opt_theirs.step()
        for a, b in zip(resumed, theirs):
            assert_close(a, b)


def assert_same_layout(ours: dict, theirs: dict) -> None:
    """Same state keys per parameter (with dtypes and shapes) and the same group options."""
    assert list(ours) == list(theirs) == ["state", "param_groups"]
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, entry in theirs["state"].items():
        assert list(ours["state"][index]) == list(entry), index
        for key, value in entry.items():
            mine = ours["state"][index][key]
            if isinstance(value, torch.Tensor):
                assert_close(mine, value)
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for a, b in zip(ours["param_groups"], theirs["param_groups"]):
        assert a.keys() == b.keys()
        for key in b:
            assert a[key] == b[key], key


def load_torch_state(ours_cls, torch_cls, kwargs, steps=12, split=6, seed=2):
    """A torch optimizer's state_dict (tensors as NumPy arrays) resumes in lamina."""
    initial, grads = make_problem(steps, seed=seed)
    theirs = torch_params(initial)
    opt_theirs = torch_cls(theirs, **kwargs)
    for step in range(split):
        set_grads(theirs, grads[step], torch)
        opt_theirs.step()
    state = opt_theirs.state_dict()
    converted = {
        "state": {k: {n: (v.numpy().copy() if isinstance(v, torch.Tensor) else v)
                      for n, v in entry.items()} for k, entry in state["state"].items()},
        "param_groups": copy.deepcopy(state["param_groups"]),
    }
    ours = lamina_params([p.detach().numpy() for p in theirs])
    opt_ours = ours_cls(ours, **kwargs)
    opt_ours.load_state_dict(converted)
    for step in range(split, steps):
        set_grads(ours, grads[step], lamina)
        set_grads(theirs, grads[step], torch)
        opt_ours.step()
        opt_theirs.step()
        for a, b in zip(ours, theirs):
            assert_close(a, b)
