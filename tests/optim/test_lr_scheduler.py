"""Every learning-rate schedule against torch's, step by step, plus state_dict and errors."""

import copy
import math
import warnings

import pytest
import torch

import lamina
from lamina.optim import SGD, Adam, lr_scheduler

STEPS = 20


def _optimizers(optimizer="sgd", groups=2):
    """The same optimizer in lamina and torch, with `groups` param groups of different lr."""
    ours = [{"params": [lamina.zeros(1, requires_grad=True)], "lr": 0.1 * (i + 1)}
            for i in range(groups)]
    theirs = [{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1 * (i + 1)}
              for i in range(groups)]
    if optimizer == "adam":
        return Adam(ours), torch.optim.Adam(theirs)
    return SGD(ours, momentum=0.9), torch.optim.SGD(theirs, momentum=0.9)


def _fake_step(optimizer):
    """An optimizer step with no gradients: only marks the optimizer as stepped."""
    optimizer.step()


SCHEDULES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 0.95**epoch),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: e % 3]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.9),
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=7),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.8),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                               eta_min=0.01),
    "CosineAnnealingWarmRestarts-T1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.5, epochs=3, steps_per_epoch=7, anneal_strategy="linear",
        three_phase=True),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.2, total_iters=4), m.ExponentialLR(o, gamma=0.9),
            m.StepLR(o, step_size=2)], milestones=[5, 12]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9)]),
}


def _compare(ours, theirs, opt_ours, opt_theirs):
    assert len(ours.get_last_lr()) == len(theirs.get_last_lr())
    for a, b in zip(ours.get_last_lr(), theirs.get_last_lr()):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), (a, b)
    for a, b in zip(opt_ours.param_groups, opt_theirs.param_groups):
        assert math.isclose(a["lr"], b["lr"], rel_tol=1e-12, abs_tol=1e-15)
        for key in ("momentum", "betas"):
            if key in b:
                assert a[key] == pytest.approx(b[key], rel=1e-12)


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_learning_rates_match_torch(name, optimizer):
    opt_ours, opt_theirs = _optimizers(optimizer)
    ours = SCHEDULES[name](lr_scheduler, opt_ours)
    theirs = SCHEDULES[name](torch.optim.lr_scheduler, opt_theirs)
    _compare(ours, theirs, opt_ours, opt_theirs)
    for _ in range(STEPS):
        _fake_step(opt_ours)
        _fake_step(opt_theirs)
        ours.step()
        theirs.step()
        _compare(ours, theirs, opt_ours, opt_theirs)


@pytest.mark.parametrize("name", [n for n in SCHEDULES if not n.startswith("LambdaLR")
                                  and n != "MultiplicativeLR"])
def test_state_dict_round_trip_mid_run(name):
    opt_ours, opt_theirs = _optimizers()
    ours = SCHEDULES[name](lr_scheduler, opt_ours)
    theirs = SCHEDULES[name](torch.optim.lr_scheduler, opt_theirs)
    for _ in range(STEPS // 2):
        _fake_step(opt_ours)
        _fake_step(opt_theirs)
        ours.step()
        theirs.step()
    saved_opt = copy.deepcopy(opt_ours.state_dict())
    saved = copy.deepcopy(ours.state_dict())
    # torch's resume recipe: build both, then load the optimizer's state and the scheduler's
    resumed_opt, _ = _optimizers()
    resumed = SCHEDULES[name](lr_scheduler, resumed_opt)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    # the same keys as torch's, less the flag torch uses for its get_lr() misuse warning
    assert set(theirs.state_dict()) - set(saved) <= {"_get_lr_called_within_step"}
    assert set(saved) <= set(theirs.state_dict())
    for _ in range(STEPS // 2):
        _fake_step(resumed_opt)
        _fake_step(opt_theirs)
        resumed.step()
        theirs.step()
        _compare(resumed, theirs, resumed_opt, opt_theirs)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.9, 0.91, 0.95, 0.92, 0.89, 0.9, 0.9, 0.9, 0.9, 0.88, 0.5, 0.6, 0.7,
               0.8, 0.9, 1.0, 1.1, 1.2]
    for kwargs in (dict(patience=1), dict(mode="max", factor=0.5, patience=0, cooldown=2),
                   dict(threshold_mode="abs", threshold=0.05, patience=2, min_lr=[0.05, 0.15])):
        opt_ours, opt_theirs = _optimizers()
        ours = lr_scheduler.ReduceLROnPlateau(opt_ours, **kwargs)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_theirs, **kwargs)
        for index, metric in enumerate(metrics):
            ours.step(metric)
            theirs.step(metric)
            _compare(ours, theirs, opt_ours, opt_theirs)
            if index == 10:
                fresh = lr_scheduler.ReduceLROnPlateau(opt_ours, **kwargs)
                fresh.load_state_dict(copy.deepcopy(ours.state_dict()))
                ours = fresh


def test_scheduler_step_before_optimizer_step_warns_like_torch():
    opt_ours, opt_theirs = _optimizers()
    theirs = torch.optim.lr_scheduler.StepLR(opt_theirs, 2)
    ours = lr_scheduler.StepLR(opt_ours, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        theirs.step()
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        ours.step()
    opt_ours, _ = _optimizers()
    ours = lr_scheduler.StepLR(opt_ours, 2)
    _fake_step(opt_ours)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours.step()


def test_step_with_epoch_uses_the_closed_form_like_torch():
    opt_ours, opt_theirs = _optimizers()
    ours = lr_scheduler.CosineAnnealingLR(opt_ours, T_max=10)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(opt_theirs, T_max=10)
    _fake_step(opt_ours)
    _fake_step(opt_theirs)
    with pytest.warns(UserWarning):
        ours.step(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.step(7)
    _compare(ours, theirs, opt_ours, opt_theirs)


BAD = [
    ("not an optimizer", TypeError, lambda m, o: m.StepLR(object(), 2)),
    ("lambdas per group", ValueError, lambda m, o: m.LambdaLR(o, [lambda e: 1.0])),
    ("constant factor", ValueError, lambda m, o: m.ConstantLR(o, factor=2.0)),
    ("start factor", ValueError, lambda m, o: m.LinearLR(o, start_factor=0)),
    ("end factor", ValueError, lambda m, o: m.LinearLR(o, end_factor=1.5)),
    ("T_0", ValueError, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0)),
    ("T_mult", ValueError, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0)),
    ("total steps", ValueError, lambda m, o: m.OneCycleLR(o, max_lr=1.0)),
    ("pct_start", ValueError, lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=5,
                                                        pct_start=1.5)),
    ("anneal", ValueError, lambda m, o: m.OneCycleLR(o, 1.0, total_steps=5,
                                                     anneal_strategy="step")),
    ("max_lr per group", ValueError, lambda m, o: m.OneCycleLR(o, [1.0], total_steps=5)),
    ("plateau factor", ValueError, lambda m, o: m.ReduceLROnPlateau(o, factor=1.0)),
    ("plateau mode", ValueError, lambda m, o: m.ReduceLROnPlateau(o, mode="up")),
    ("plateau threshold mode", ValueError,
     lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="x")),
    ("milestones", ValueError, lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2)], [3])),
    ("sequential with plateau", ValueError,
     lambda m, o: m.SequentialLR(o, [m.ReduceLROnPlateau(o), m.StepLR(o, 2)], [3])),
    ("resume without initial_lr", KeyError, lambda m, o: m.StepLR(o, 2, last_epoch=3)),
]


@pytest.mark.parametrize("what, exc, build", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_like_torch(what, exc, build):
    opt_ours, opt_theirs = _optimizers()
    with pytest.raises(exc):
        build(torch.optim.lr_scheduler, opt_theirs)
    with pytest.raises(exc) as info:
        build(lr_scheduler, opt_ours)
    assert str(info.value)


def test_one_cycle_refuses_to_step_past_total_steps():
    opt_ours, _ = _optimizers()
    ours = lr_scheduler.OneCycleLR(opt_ours, max_lr=1.0, total_steps=2)
    _fake_step(opt_ours)
    ours.step()
    ours.step()
    with pytest.raises(ValueError, match="total steps is 2"):
        ours.step()


def test_one_cycle_without_momentum_raises():
    opt = lamina.optim.Adagrad([lamina.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
