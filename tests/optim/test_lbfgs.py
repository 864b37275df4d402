"""LBFGS against torch: a least-squares fit and Rosenbrock, with and without line search."""

import copy

import numpy as np
import pytest
import torch
from tests.helpers import assert_close

import lamina
from lamina.optim import LBFGS


def _least_squares(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x, y, w = (rng.standard_normal(shape).astype(dtype) for shape in ((16, 4), (16, 3), (4, 3)))
    b = rng.standard_normal(3).astype(dtype)
    return x, y, [w, b]


def _fit(module, optimizer_cls, kwargs, steps, problem):
    x, y, initial = problem
    params = [module.tensor(a.copy(), requires_grad=True) for a in initial]
    x, y = module.tensor(x), module.tensor(y)
    opt = optimizer_cls(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((x @ params[0] + params[1] - y) ** 2).mean()
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    return params, losses, opt


OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.5, max_iter=5, history_size=2),  # the history overflows and drops old pairs
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=4, history_size=3),
]


@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_least_squares_matches_torch(kwargs):
    problem = _least_squares()
    ours, our_losses, opt_ours = _fit(lamina, LBFGS, kwargs, 3, problem)
    theirs, their_losses, opt_theirs = _fit(torch, torch.optim.LBFGS, kwargs, 3, problem)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5)
    for a, b in zip(ours, theirs):
        assert_close(a, b, rtol=1e-4, atol=1e-5)  # 60 iterations of float32 reductions
    state_ours, state_theirs = opt_ours.state[ours[0]], opt_theirs.state[theirs[0]]
    assert list(state_ours) == list(state_theirs)
    assert state_ours["func_evals"] == state_theirs["func_evals"]
    assert state_ours["n_iter"] == state_theirs["n_iter"]


def test_line_search_that_must_grow_the_step_matches_torch():
    # lr=0.01 makes the first trial step too short, so the search extrapolates. The cubic
    # through two close points magnifies a one-ulp difference in a float32 loss (lamina and
    # torch sum in different orders), so this one runs in float64, and stops short of the
    # optimum, where the flat loss lets rounding noise steer the steps.
    kwargs = dict(lr=0.01, line_search_fn="strong_wolfe", max_iter=5)
    problem = _least_squares(dtype=np.float64)
    ours, our_losses, opt_ours = _fit(lamina, LBFGS, kwargs, 3, problem)
    theirs, their_losses, opt_theirs = _fit(torch, torch.optim.LBFGS, kwargs, 3, problem)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10)
    for a, b in zip(ours, theirs):
        assert_close(a, b, rtol=1e-8, atol=1e-10)
    assert opt_ours.state[ours[0]]["func_evals"] == opt_theirs.state[theirs[0]]["func_evals"]


def _rosenbrock_run(module, optimizer_cls, kwargs, steps):
    point = module.tensor(np.array([-1.5, 2.0], dtype=np.float32), requires_grad=True)
    opt = optimizer_cls([point], **kwargs)

    def closure():
        opt.zero_grad()
        loss = (1 - point[0]) ** 2 + 100 * (point[1] - point[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return point, opt


def test_strong_wolfe_on_rosenbrock_matches_torch_and_converges():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=10)
    ours, opt_ours = _rosenbrock_run(lamina, LBFGS, kwargs, 2)
    theirs, opt_theirs = _rosenbrock_run(torch, torch.optim.LBFGS, kwargs, 2)
    assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    assert opt_ours.state[ours]["func_evals"] == opt_theirs.state[theirs]["func_evals"]
    ours, _ = _rosenbrock_run(lamina, LBFGS, kwargs, 10)
    np.testing.assert_allclose(ours.detach().numpy(), [1.0, 1.0], atol=1e-3)


def test_zero_gradient_returns_at_once():
    point = lamina.zeros(3, requires_grad=True)
    opt = LBFGS([point])

    def closure():
        opt.zero_grad()
        loss = (point**2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert opt.state[point]["func_evals"] == 1 and "d" not in opt.state[point]


def test_defaults_and_repr_match_torch():
    ours = LBFGS([lamina.zeros(2, requires_grad=True)], max_iter=8)
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], max_iter=8)
    assert ours.defaults == theirs.defaults
    assert repr(ours) == repr(theirs)


def test_errors_match_torch():
    groups = lambda m: [{"params": [m.zeros(1, requires_grad=True)]},  # noqa: E731
                        {"params": [m.zeros(1, requires_grad=True)], "lr": 0.1}]
    with pytest.raises(ValueError):
        torch.optim.LBFGS(groups(torch))
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS(groups(lamina))
    with pytest.raises(ValueError):
        torch.optim.LBFGS([torch.zeros(1, requires_grad=True)], lr=-1.0)
    with pytest.raises(ValueError, match="learning rate"):
        LBFGS([lamina.zeros(1, requires_grad=True)], lr=-1.0)
    point = lamina.ones(1, requires_grad=True)
    opt = LBFGS([point], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (point**2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="strong_wolfe"):
        opt.step(closure)


def test_state_dict_round_trip_continues_like_torch():
    kwargs = dict(lr=0.5, max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    x, y, initial = _least_squares(dtype=np.float64)
    theirs, _, _ = _fit(torch, torch.optim.LBFGS, kwargs, 2, (x, y, initial))
    _, _, one_step = _fit(torch, torch.optim.LBFGS, kwargs, 1, (x, y, initial))
    first, _, opt = _fit(lamina, LBFGS, kwargs, 1, (x, y, initial))
    saved = copy.deepcopy(opt.state_dict())
    assert list(saved["state"][0]) == list(one_step.state_dict()["state"][0])
    resumed = [lamina.tensor(p.detach().numpy().copy(), requires_grad=True) for p in first]
    opt = LBFGS(resumed, **kwargs)
    opt.load_state_dict(saved)
    inputs, targets = lamina.tensor(x), lamina.tensor(y)

    def closure():
        opt.zero_grad()
        loss = ((inputs @ resumed[0] + resumed[1] - targets) ** 2).mean()
        loss.backward()
        return loss

    opt.step(closure)
    for a, b in zip(resumed, theirs):
        assert_close(a, b, rtol=1e-8, atol=1e-10)
