"""lamina.amp (autocast, GradScaler) against torch's CPU behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import lamina


def _pair(seed=0):
    """The same Linear(3, 1) in both libraries, an SGD optimizer for each, and one batch."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((1, 3)).astype(np.float32)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    models = []
    for library in (torch, lamina):
        model = library.nn.Linear(3, 1)
        with library.no_grad():
            model.weight.copy_(library.tensor(weight))
            model.bias.zero_()
        models.append((library, model, library.optim.SGD(model.parameters(), lr=0.1),
                       library.tensor(x)))
    return models


def _train(library, model, optimizer, x, scaler, steps=3, poison=None):
    scales = []
    for step in range(steps):
        with library.autocast(device_type="cpu", dtype=library.float16, enabled=False):
            loss = model(x).pow(2).mean()
        if poison == step:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        scales.append(scaler.get_scale())
    return model.weight.detach().numpy().copy(), scales


@pytest.mark.parametrize("enabled", [False, True])
@pytest.mark.parametrize("poison", [None, 1])
def test_grad_scaler_loop_matches_torch(enabled, poison):
    results = []
    for library, model, optimizer, x in _pair():
        scaler = library.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2,
                                        enabled=enabled)
        assert scaler.is_enabled() is enabled
        results.append(_train(library, model, optimizer, x, scaler, poison=poison))
    (theirs_weight, theirs_scales), (ours_weight, ours_scales) = results
    assert ours_scales == theirs_scales
    if poison is None or enabled:  # disabled + inf loss: both step with nan grads
        np.testing.assert_allclose(ours_weight, theirs_weight, rtol=1e-6)


def test_disabled_scaler_passes_values_through():
    scaler = lamina.amp.GradScaler(enabled=False)
    loss = lamina.tensor(2.0)
    assert scaler.scale(loss) is loss
    assert scaler.get_scale() == torch.amp.GradScaler(enabled=False).get_scale() == 1.0
    assert scaler.state_dict() == {}


def test_enabled_scaler_scales_and_keeps_state():
    ours, theirs = lamina.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    assert ours.get_scale() == theirs.get_scale()
    scaled = ours.scale([lamina.tensor(1.5), lamina.tensor(2.0, dtype=lamina.float64)])
    assert [t.item() for t in scaled] == [1.5 * 65536.0, 2.0 * 65536.0]
    assert scaled[1].dtype == lamina.float64
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    fresh = lamina.amp.GradScaler("cpu", init_scale=4.0)
    fresh.load_state_dict(ours.state_dict())
    assert fresh.get_scale() == 65536.0


def test_unscale_twice_raises_like_torch():
    for library, model, optimizer, x in _pair():
        scaler = library.amp.GradScaler("cpu")
        scaler.scale(model(x).sum()).backward()
        scaler.unscale_(optimizer)
        with pytest.raises(RuntimeError, match="unscale_"):
            scaler.unscale_(optimizer)


def test_gpu_device_disables_with_torch_warning():
    with pytest.warns(UserWarning, match="not available"):
        scaler = lamina.amp.GradScaler("cuda")
    assert scaler.is_enabled() is False
    with pytest.warns(UserWarning):
        assert torch.amp.GradScaler("cuda").is_enabled() is False


def test_autocast_changes_nothing():
    x = lamina.ones(2, 2)
    for context in (lamina.autocast("cpu"), lamina.amp.autocast("cpu", dtype=lamina.float16),
                    lamina.autocast(device_type="cpu", enabled=False)):
        with context:
            assert (x @ x).dtype == lamina.float32

    @lamina.autocast("cpu")
    def product(a):
        return a @ a

    assert product(x).dtype == lamina.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lamina.autocast("cuda"):
            pass
    with pytest.raises(ValueError):
        lamina.autocast(lamina.device("cpu"))
    assert lamina.amp.is_autocast_available("cpu") is torch.amp.is_autocast_available("cpu")


def test_bfloat16_is_named_for_autocast_but_not_stored():
    with lamina.autocast(device_type="cpu", dtype=lamina.bfloat16):
        pass
    assert repr(lamina.bfloat16) == "lamina.bfloat16"
    assert lamina.bfloat16.is_floating_point and lamina.bfloat16.itemsize == 2
    for make in (lambda: lamina.zeros(2, dtype=lamina.bfloat16),
                 lambda: lamina.ones(2).to(lamina.bfloat16)):
        with pytest.raises(TypeError, match="bfloat16"):
            make()


def test_cuda_amp_spellings_warn_and_are_disabled_like_torch():
    from lamina.cuda.amp import GradScaler, autocast

    for library_scaler, library_autocast in ((GradScaler, autocast),
                                             (torch.cuda.amp.GradScaler, torch.cuda.amp.autocast)):
        with pytest.warns(FutureWarning, match="deprecated"):
            scaler = library_scaler(enabled=False)
        assert scaler.is_enabled() is False
        with pytest.warns(FutureWarning), library_autocast(enabled=False):
            pass
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert library_scaler().is_enabled() is False
        assert {w.category for w in caught} == {FutureWarning, UserWarning}
    assert lamina.cuda.amp.GradScaler is GradScaler
