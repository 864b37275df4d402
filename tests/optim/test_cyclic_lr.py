"""CyclicLR against torch: every mode, custom scale functions, momentum cycling, state_dict."""

import copy
import math

import pytest
import torch
from tests.optim.test_lr_scheduler import _compare, _fake_step, _optimizers

import lamina
from lamina.optim import lr_scheduler

STEPS = 25

SCHEDULES = {
    "triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "triangular-asymmetric": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                     step_size_down=5),
    "triangular2": lambda m, o: m.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=2,
                                           mode="triangular2"),
    "exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range",
                                         gamma=0.9),
    "scale_fn-cycle": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                              scale_fn=lambda x: 1 / x),
    "scale_fn-iterations": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                   scale_fn=lambda x: 0.95**x,
                                                   scale_mode="iterations"),
    "momentum-per-group": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                  base_momentum=[0.7, 0.75],
                                                  max_momentum=[0.95, 0.9]),
    "no-momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False),
}


def _run(name, optimizer, steps=STEPS):
    opt_ours, opt_theirs = _optimizers(optimizer)
    ours = SCHEDULES[name](lr_scheduler, opt_ours)
    theirs = SCHEDULES[name](torch.optim.lr_scheduler, opt_theirs)
    _compare(ours, theirs, opt_ours, opt_theirs)
    for _ in range(steps):
        _fake_step(opt_ours)
        _fake_step(opt_theirs)
        ours.step()
        theirs.step()
        _compare(ours, theirs, opt_ours, opt_theirs)
    return ours, theirs, opt_ours, opt_theirs


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_learning_rates_and_momentum_match_torch(name, optimizer):
    _run(name, optimizer)


def test_momentum_cycles_opposite_to_the_learning_rate():
    _, _, opt_ours, opt_theirs = _run("triangular", "sgd", steps=4)  # at the top of the cycle
    for ours, theirs in zip(opt_ours.param_groups, opt_theirs.param_groups):
        assert math.isclose(ours["lr"], 0.1) and math.isclose(ours["momentum"], 0.8)
        for key in ("max_momentum", "base_momentum", "initial_lr"):
            assert ours[key] == theirs[key]


@pytest.mark.parametrize("name", ["triangular2", "exp_range", "momentum-per-group"])
def test_state_dict_round_trip_mid_run(name):
    ours, theirs, opt_ours, opt_theirs = _run(name, "adam", steps=7)
    saved_opt = copy.deepcopy(opt_ours.state_dict())
    saved = copy.deepcopy(ours.state_dict())
    assert set(theirs.state_dict()) - set(saved) <= {"_get_lr_called_within_step"}
    assert set(saved) <= set(theirs.state_dict())
    resumed_opt, _ = _optimizers("adam")
    resumed = SCHEDULES[name](lr_scheduler, resumed_opt)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    for _ in range(STEPS):
        _fake_step(resumed_opt)
        _fake_step(opt_theirs)
        resumed.step()
        theirs.step()
        _compare(resumed, theirs, resumed_opt, opt_theirs)


class _Halving:
    """A callable-object scale function: its attributes travel in the scheduler's state."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base ** (x - 1)


def test_callable_object_scale_fn_is_saved_like_torch():
    opt_ours, opt_theirs = _optimizers()
    ours = lr_scheduler.CyclicLR(opt_ours, 0.01, 0.1, step_size_up=2, scale_fn=_Halving(0.5))
    theirs = torch.optim.lr_scheduler.CyclicLR(opt_theirs, 0.01, 0.1, step_size_up=2,
                                               scale_fn=_Halving(0.5))
    assert ours.state_dict()["_scale_fn_custom"] == theirs.state_dict()["_scale_fn_custom"]
    fresh = lr_scheduler.CyclicLR(opt_ours, 0.01, 0.1, step_size_up=2, scale_fn=_Halving(0.9))
    fresh.load_state_dict(ours.state_dict())
    assert fresh._scale_fn_custom.base == 0.5
    lambda_state = lr_scheduler.CyclicLR(opt_ours, 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert lambda_state.state_dict()["_scale_fn_custom"] is None


BAD = [
    ("mode", lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="sawtooth")),
    ("max_lr per group", lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2, 0.3])),
    ("base_lr per group", lambda m, o: m.CyclicLR(o, [0.01], 0.1)),
    ("momentum per group", lambda m, o: m.CyclicLR(o, 0.01, 0.1, base_momentum=[0.8])),
]


@pytest.mark.parametrize("what, build", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_like_torch(what, build):
    opt_ours, opt_theirs = _optimizers()
    with pytest.raises(ValueError):
        build(torch.optim.lr_scheduler, opt_theirs)
    with pytest.raises(ValueError):
        build(lr_scheduler, opt_ours)


def test_optimizer_without_momentum_raises_like_torch():
    theirs = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        torch.optim.lr_scheduler.CyclicLR(theirs, 0.01, 0.1)
    ours = lamina.optim.Adagrad([lamina.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.CyclicLR(ours, 0.01, 0.1)
    lr_scheduler.CyclicLR(ours, 0.01, 0.1, cycle_momentum=False)
