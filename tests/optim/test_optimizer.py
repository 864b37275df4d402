"""The Optimizer base: groups, zero_grad, closure, checkpoints and errors, against torch."""

import copy
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina.optim import SGD, Adam, Optimizer

ALL = [
    (lamina.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (lamina.optim.Adam, torch.optim.Adam, dict(amsgrad=True)),
    (lamina.optim.AdamW, torch.optim.AdamW, dict()),
    (lamina.optim.RMSprop, torch.optim.RMSprop, dict(centered=True, momentum=0.5)),
    (lamina.optim.Adagrad, torch.optim.Adagrad, dict(lr_decay=0.01)),
    (lamina.optim.Adamax, torch.optim.Adamax, dict()),
    (lamina.optim.NAdam, torch.optim.NAdam, dict()),
]


def _leaf(*shape):
    return lamina.zeros(*shape, requires_grad=True)


@pytest.mark.parametrize("ours, theirs, kwargs", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_repr_matches_torch(ours, theirs, kwargs):
    groups = [{"params": [_leaf(2)]}, {"params": [_leaf(1)], "lr": 0.5}]
    torch_groups = [{"params": [torch.zeros(2, requires_grad=True)]},
                    {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5}]
    assert repr(ours(groups, **kwargs)) == repr(theirs(torch_groups, **kwargs))


def test_step_updates_in_place_records_nothing_and_bumps_the_version():
    w = _leaf(3)
    w_array = w._array
    x = lamina.ones(3, requires_grad=True)
    loss = (w * x).sum()
    opt = SGD([w], lr=0.1)
    loss.backward(retain_graph=True)
    opt.step()
    assert w._array is w_array and w.is_leaf and w.grad_fn is None and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), -0.1 * np.ones(3, np.float32))
    assert w.dtype == lamina.float32
    # x's gradient needs the old w: autograd must notice that the step changed it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_zero_grad_sets_to_none_or_zeroes_in_place():
    w = _leaf(2)
    w.grad = lamina.ones(2)
    opt = SGD([w], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_parameters_without_grad_are_skipped():
    w, frozen = _leaf(2), _leaf(2)
    w.grad = lamina.ones(2)
    opt = Adam([w, frozen], lr=0.1)
    opt.step()
    assert frozen.tolist() == [0.0, 0.0] and frozen not in opt.state
    assert w.tolist() != [0.0, 0.0]


def test_closure_is_evaluated_with_grad_enabled():
    w = lamina.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with lamina.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert w.tolist() == [0.0, 0.0]


def test_add_param_group_uses_defaults_and_matches_torch():
    ours = SGD([_leaf(1)], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    ours.add_param_group({"params": _leaf(2), "lr": 0.01})
    theirs.add_param_group({"params": torch.zeros(2, requires_grad=True), "lr": 0.01})
    assert len(ours.param_groups) == 2
    for a, b in zip(ours.param_groups, theirs.param_groups):
        assert {k: v for k, v in a.items() if k != "params"} == \
            {k: v for k, v in b.items() if k != "params"}


def test_named_parameters_are_accepted():
    w = _leaf(2)
    opt = SGD([("w", w)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.param_groups[0]["params"][0] is w
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def _both_raise(exc, ours_call, torch_call, match):
    with pytest.raises(exc):
        torch_call()
    with pytest.raises(exc, match=match):
        ours_call()


def test_bad_params_raise_like_torch():
    _both_raise(TypeError, lambda: SGD(_leaf(2), lr=0.1),
                lambda: torch.optim.SGD(torch.zeros(2, requires_grad=True), lr=0.1),
                "iterable of Tensors")
    _both_raise(ValueError, lambda: SGD([], lr=0.1), lambda: torch.optim.SGD([], lr=0.1),
                "empty parameter list")
    _both_raise(TypeError, lambda: SGD([1.0], lr=0.1), lambda: torch.optim.SGD([1.0], lr=0.1),
                "only optimize Tensors")
    ours_nonleaf = _leaf(2) * 2
    theirs_nonleaf = torch.zeros(2, requires_grad=True) * 2
    _both_raise(ValueError, lambda: SGD([ours_nonleaf], lr=0.1),
                lambda: torch.optim.SGD([theirs_nonleaf], lr=0.1), "non-leaf")
    a, b = _leaf(1), torch.zeros(1, requires_grad=True)
    _both_raise(ValueError, lambda: SGD([{"params": [a]}, {"params": [a]}], lr=0.1),
                lambda: torch.optim.SGD([{"params": [b]}, {"params": [b]}], lr=0.1),
                "more than one parameter group")
    _both_raise(TypeError, lambda: SGD([{"params": {_leaf(1)}}], lr=0.1),
                lambda: torch.optim.SGD([{"params": {torch.zeros(1, requires_grad=True)}}]),
                "ordered collections")
    opt, topt = SGD([_leaf(1)], lr=0.1), torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    _both_raise(TypeError, lambda: opt.add_param_group([_leaf(1)]),
                lambda: topt.add_param_group([torch.zeros(1, requires_grad=True)]),
                "must be a dict")


def test_duplicate_parameters_warn_like_torch():
    w = _leaf(1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([w, w], lr=0.1)


def test_load_state_dict_rejects_mismatched_groups():
    opt = Adam([_leaf(1), _leaf(2)])
    two_groups = Adam([{"params": [_leaf(1)]}, {"params": [_leaf(2)]}]).state_dict()
    with pytest.raises(ValueError, match="number of parameter groups"):
        opt.load_state_dict(two_groups)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(Adam([_leaf(1)]).state_dict())
    with pytest.raises(KeyError, match="param_groups"):
        opt.load_state_dict({"state": {}})


def test_load_state_dict_restores_group_options_and_keeps_params():
    w = _leaf(2)
    opt = SGD([w], lr=0.1, momentum=0.9)
    saved = copy.deepcopy(opt.state_dict())
    saved["param_groups"][0]["lr"] = 0.01
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["params"][0] is w


def test_state_dict_casts_state_to_the_parameter_dtype_except_step():
    w = lamina.zeros(2, dtype=lamina.float64, requires_grad=True)
    w.grad = lamina.ones(2, dtype=lamina.float64)
    opt = Adam([w])
    opt.step()
    saved = opt.state_dict()
    saved = {"state": {0: {k: (v.to(lamina.float32) if k != "step" else v)
                           for k, v in saved["state"][0].items()}},
             "param_groups": saved["param_groups"]}
    fresh = Adam([w])
    fresh.load_state_dict(saved)
    assert fresh.state[w]["exp_avg"].dtype == lamina.float64
    assert fresh.state[w]["step"].dtype == lamina.float32


@pytest.mark.parametrize("ours, theirs, kwargs", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_every_optimizer_checkpoint_resumes_in_torch_and_in_lamina(ours, theirs, kwargs,
                                                                    tmp_path):
    w = lamina.tensor([1.0, -2.0, 0.5], requires_grad=True)
    w.grad = lamina.tensor([0.5, 0.25, -1.0])
    opt = ours([w], **kwargs)
    opt.step()
    path = tmp_path / "opt.pt"
    lamina.save(opt.state_dict(), path)
    # torch reads the checkpoint and resumes its own optimizer from it ...
    tw = torch.tensor(w.detach().numpy().copy(), requires_grad=True)
    topt = theirs([tw], **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        topt.load_state_dict(torch.load(path, weights_only=True))
    # ... and so does a fresh lamina optimizer, through lamina.load
    fresh_w = lamina.tensor(w.detach().numpy().copy(), requires_grad=True)
    fresh = ours([fresh_w], **kwargs)
    fresh.load_state_dict(lamina.load(path))
    for step in range(3):
        grad = np.array([0.1, -0.2, 0.3], dtype=np.float32) * (step + 1)
        tw.grad, fresh_w.grad = torch.tensor(grad), lamina.tensor(grad)
        topt.step()
        fresh.step()
        np.testing.assert_allclose(fresh_w.detach().numpy(), tw.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_subclass_with_its_own_step_works_like_torch():
    class Halve(Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def step(self, closure=None):
            with lamina.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.mul_(group["lr"])

    w = lamina.tensor([4.0], requires_grad=True)
    opt = Halve([w])
    opt.step()
    assert w.tolist() == [2.0]


@pytest.mark.parametrize("ours, theirs, kwargs", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_numpy_float64_hyperparameters_keep_float32_and_torchs_numbers(ours, theirs, kwargs):
    """lr etc. from NumPy (say np.logspace) must not turn the float32 updates into float64."""
    from tests.optim.oracle import make_problem

    initial, grads = make_problem(5)
    ours_params = [lamina.tensor(a.copy(), requires_grad=True) for a in initial]
    theirs_params = [torch.tensor(a.copy(), requires_grad=True) for a in initial]
    kwargs = {**kwargs, "lr": 0.01}
    as_numpy = {k: (np.float64(v) if isinstance(v, float) else v) for k, v in kwargs.items()}
    opt_ours = ours(ours_params, **as_numpy)
    opt_theirs = theirs(theirs_params, **kwargs)
    for step_grads in grads:
        for p, q, g in zip(ours_params, theirs_params, step_grads):
            p.grad, q.grad = lamina.tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
    for p, q in zip(ours_params, theirs_params):
        assert p.detach().numpy().dtype == np.float32
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
        for key, value in opt_ours.state[p].items():
            assert value.dtype == lamina.float32, key


def test_load_state_dict_fills_options_missing_from_an_older_checkpoint():
    w = _leaf(2)
    w.grad = lamina.ones(2)
    saved = copy.deepcopy(SGD([_leaf(2)], lr=0.1, momentum=0.9).state_dict())
    for key in ("nesterov", "maximize", "dampening"):
        del saved["param_groups"][0][key]
    opt = SGD([w], lr=0.5)
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["nesterov"] is False and opt.param_groups[0]["lr"] == 0.1
    opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), np.float32([-0.1, -0.1]))
