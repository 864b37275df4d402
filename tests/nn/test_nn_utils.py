"""nn.utils: gradient clipping and parameter/vector conversion against torch.nn.utils."""

import math

import numpy as np
import pytest
import torch
from tests.helpers import assert_close

import lamina
import lamina.nn as nn
from lamina.nn import utils


def _params_with_grads(dtype=np.float32, scale=1.0, seed=0):
    """Three parameters with gradients, the same in both libraries."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    ours, theirs = [], []
    for shape in shapes:
        value = rng.standard_normal(shape).astype(dtype)
        grad = (rng.standard_normal(shape) * scale).astype(dtype)
        p = nn.Parameter(lamina.tensor(value))
        p.grad = lamina.tensor(grad)
        tp = torch.nn.Parameter(torch.from_numpy(value.copy()))
        tp.grad = torch.from_numpy(grad.copy())
        ours.append(p)
        theirs.append(tp)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = _params_with_grads(dtype)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert_close(total, expected)
    for p, tp in zip(ours, theirs):
        assert_close(p.grad, tp.grad)


def test_clip_grad_norm_accepts_a_single_tensor_and_skips_missing_grads():
    ours, theirs = _params_with_grads()
    ours[1].grad, theirs[1].grad = None, None
    assert_close(utils.clip_grad_norm_(ours, 0.1), torch.nn.utils.clip_grad_norm_(theirs, 0.1))
    assert ours[1].grad is None
    ours, theirs = _params_with_grads(seed=1)
    assert_close(utils.clip_grad_norm_(ours[0], 0.1),
                 torch.nn.utils.clip_grad_norm_(theirs[0], 0.1))
    assert_close(ours[0].grad, theirs[0].grad)


def test_clip_grad_norm_with_no_gradients_returns_zero_like_torch():
    p = nn.Parameter(lamina.ones(3))
    assert_close(utils.clip_grad_norm_([p], 1.0), torch.nn.utils.clip_grad_norm_([], 1.0))


def test_clip_grad_norm_non_finite():
    ours, theirs = _params_with_grads()
    ours[0].grad.numpy()[0, 0] = math.inf
    theirs[0].grad[0, 0] = math.inf
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    # without the check, both scale by the non-finite norm
    assert_close(utils.clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0))
    for p, tp in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(tp.grad.numpy()))


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    ours, theirs = _params_with_grads(seed=2)
    total = utils.get_total_norm([p.grad for p in ours], 3.0)
    expected = torch.nn.utils.get_total_norm([p.grad for p in theirs], 3.0)
    assert_close(total, expected)
    utils.clip_grads_with_norm_(ours, 0.2, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.2, expected)
    for p, tp in zip(ours, theirs):
        assert_close(p.grad, tp.grad)


@pytest.mark.parametrize("clip_value", [0.1, 1])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = _params_with_grads(scale=2.0)
    assert utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, tp in zip(ours, theirs):
        assert_close(p.grad, tp.grad)


def test_clip_grad_norm_on_a_model_after_backward():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    model(lamina.randn(16, 4)).sum().backward()
    total = utils.clip_grad_norm_(model.parameters(), 0.01)
    grads = np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])
    assert total.item() > 0.01
    np.testing.assert_allclose(np.linalg.norm(grads), 0.01, rtol=1e-4)


def test_parameters_to_vector_and_back_match_torch():
    ours, theirs = _params_with_grads(seed=3)
    vector = utils.parameters_to_vector(ours)
    expected = torch.nn.utils.parameters_to_vector(theirs)
    assert_close(vector, expected)
    new = np.arange(vector.numel(), dtype=np.float32)
    utils.vector_to_parameters(lamina.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new), theirs)
    for p, tp in zip(ours, theirs):
        assert_close(p, tp)
        assert p.requires_grad


def test_parameters_to_vector_is_differentiable():
    ours, _ = _params_with_grads(seed=4)
    vector = utils.parameters_to_vector(ours)
    (vector * vector).sum().backward()
    for p in ours:
        assert p.grad is not None


def test_vector_to_parameters_bad_input():
    ours, _ = _params_with_grads()
    with pytest.raises(TypeError, match="expected lamina.Tensor, but got: ndarray"):
        utils.vector_to_parameters(np.zeros(24), ours)
    with pytest.raises(TypeError):
        torch.nn.utils.vector_to_parameters(np.zeros(24), [torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(RuntimeError, match="hold 24 values"):
        utils.vector_to_parameters(lamina.zeros(10), ours)
