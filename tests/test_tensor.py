"""Tensor: metadata, conversions, the autograd surface and in-place bookkeeping."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tests.helpers import assert_close

import lamina

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_]


@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=4, max_side=4)))
def test_metadata_matches_torch(array):
    ours, theirs = lamina.from_numpy(array), torch.from_numpy(array)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert isinstance(ours.shape, lamina.Size) and isinstance(ours.shape, tuple)
    assert repr(ours.shape).replace("lamina", "torch") == repr(theirs.shape)
    assert str(ours.dtype).replace("lamina", "torch") == str(theirs.dtype)
    assert ours.ndim == ours.dim() == theirs.ndim
    assert ours.numel() == theirs.numel()
    assert ours.is_floating_point() == theirs.is_floating_point()
    assert ours.dtype.is_floating_point == theirs.dtype.is_floating_point
    assert ours.element_size() == theirs.element_size()
    assert repr(ours.tolist()) == repr(theirs.tolist())  # repr: nan == nan
    if array.ndim:
        assert ours.size(-1) == theirs.size(-1)
        assert ours.stride() == theirs.stride()
        assert len(ours) == len(theirs)


def test_size_errors_and_slicing_match_torch():
    x = lamina.ones(2, 3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 5"):
        x.size(5)
    assert isinstance(x.shape[1:], lamina.Size) and x.shape[1:] == (3,)
    assert x.shape.numel() == 6 and x.size() == (2, 3)


def test_device_is_cpu():
    x = lamina.ones(2)
    assert x.device == lamina.device("cpu") and x.device.type == "cpu"
    assert not x.is_cuda and x.cpu() is x
    assert x.to("cpu") is x


def test_unavailable_device_raises_when_used_not_when_named():
    name = lamina.device("cuda:0")
    assert (name.type, name.index) == ("cuda", 0)
    with pytest.raises(AssertionError, match="CPU only"):
        lamina.ones(2).to("cuda")
    with pytest.raises(AssertionError, match="CPU only"):
        lamina.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        lamina.device("gpu")


def test_item_bool_len_iter_errors_match_torch():
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        lamina.ones(2).item()
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(lamina.ones(2))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(lamina.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(lamina.tensor(1.0))
    assert lamina.tensor(3).item() == 3 and isinstance(lamina.tensor(3.5).item(), float)
    assert [r.tolist() for r in lamina.eye(2)] == [[1.0, 0.0], [0.0, 1.0]]
    assert float(lamina.tensor([2.5])) == 2.5 and int(lamina.tensor(7)) == 7
    assert [10, 20, 30][lamina.tensor(1)] == 20


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "bool"])
def test_dtype_conversions_match_torch(method):
    data = np.array([[-1.5, 0.0, 2.7]], np.float32)
    ours, theirs = getattr(lamina.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert_close(ours, theirs)


def test_to_dtype_and_tensor_and_copy():
    x = lamina.tensor([1.0, 2.0])
    assert x.to(lamina.float32) is x
    assert x.to(lamina.float32, copy=True) is not x
    assert x.to(lamina.float64).dtype == lamina.float64
    assert x.to(lamina.ones(1, dtype=lamina.int64)).dtype == lamina.int64
    assert x.to("cpu", lamina.float16).dtype == lamina.float16
    assert x.type() == "lamina.FloatTensor"


def test_to_between_floats_is_differentiable_like_torch():
    data = np.array([0.5, -2.0], np.float32)
    x, tx = lamina.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (x.double() ** 2).sum().backward()
    (tx.double() ** 2).sum().backward()
    assert_close(x.grad, tx.grad)


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad():
    x = lamina.zeros(3)
    x.numpy()[0] = 5.0
    assert x[0].item() == 5.0
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        lamina.ones(2, requires_grad=True).numpy()
    assert np.asarray(lamina.ones(2)).dtype == np.float32


def test_detach_shares_data_and_clone_copies_with_gradient():
    data = np.array([1.0, 2.0], np.float32)
    x, tx = lamina.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 9.0
    assert x[0].item() == 9.0
    c, tc = x.clone(), tx.clone()
    assert c.grad_fn is not None and c.grad_fn.name() == tc.grad_fn.name()
    assert not np.shares_memory(c.numpy() if not c.requires_grad else c.detach().numpy(),
                                x.detach().numpy())


def test_requires_grad_rules_match_torch():
    x = lamina.ones(2)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        lamina.ones(2, dtype=lamina.int64).requires_grad_()
    assert lamina.zeros(2).grad is None


def test_data_attribute_bypasses_autograd():
    x = lamina.ones(2, requires_grad=True)
    x.data.mul_(3)
    np.testing.assert_allclose(x.detach().numpy(), [3.0, 3.0])
    x.data = lamina.zeros(4)
    assert x.shape == (4,) and x.requires_grad
    with pytest.raises(TypeError, match="Tensor"):
        x.data = [1, 2]


def test_tensor_constructor_is_float32_like_torch():
    assert lamina.Tensor([1, 2]).dtype == lamina.float32
    assert lamina.Tensor(2, 3).shape == (2, 3)
    assert lamina.Tensor(np.arange(3)).dtype == lamina.float32


def test_pickle_and_deepcopy_keep_values_and_requires_grad():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.requires_grad and y.tolist() == [1.0, 2.0]
        assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_inplace_ops_bump_the_version_and_keep_dtype():
    x = lamina.ones(3)
    version = x._vc[0]
    x.add_(1).mul_(2.5).sub_(lamina.ones(3)).div_(2)
    assert x._vc[0] == version + 4
    assert x.dtype == lamina.float32
    np.testing.assert_allclose(x.numpy(), np.full(3, 2.0, np.float32))


def test_inplace_result_type_and_shape_errors_match_torch():
    x = lamina.ones(3, dtype=lamina.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(1.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        lamina.ones(3).add_(lamina.ones(2, 3))


def test_fill_and_zero_on_a_non_leaf_cut_its_history():
    x = lamina.ones(3, requires_grad=True)
    tx = torch.ones(3, requires_grad=True)
    y, ty = x * 2, tx * 2
    y.fill_(4.0)
    ty.fill_(4.0)
    (y * x).sum().backward()
    (ty * tx).sum().backward()
    assert_close(x.grad, tx.grad)


INPLACE = [
    ("add_", lambda t, o: t.add_(o, alpha=2)),
    ("sub_", lambda t, o: t.sub_(o)),
    ("mul_", lambda t, o: t.mul_(o)),
    ("div_", lambda t, o: t.div_(o)),
    ("addcmul_", lambda t, o: t.addcmul_(o, o, value=0.5)),
    ("addcdiv_", lambda t, o: t.addcdiv_(o, o.abs() + 1, value=-2)),
    ("copy_", lambda t, o: t.copy_(o)),
    ("clamp_", lambda t, o: t.clamp_(-0.5, 0.5)),
    ("iadd", lambda t, o: t.__iadd__(o)),
    ("imul scalar", lambda t, o: t.__imul__(3)),
    ("itruediv scalar", lambda t, o: t.__itruediv__(4)),
    ("fill_", lambda t, o: t.fill_(1.25)),
    ("zero_", lambda t, o: t.zero_()),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_methods_match_torch_and_return_self(name, op, dtype):
    rng = np.random.default_rng(3)
    data, other = (rng.standard_normal((3, 4)).astype(dtype) for _ in range(2))
    ours, theirs = lamina.tensor(data), torch.tensor(data)
    assert op(ours, lamina.tensor(other)) is ours
    op(theirs, torch.tensor(other))
    assert_close(ours, theirs)


def test_inplace_method_records_history_for_autograd_like_torch():
    data = np.array([0.5, -1.0, 2.0], np.float32)
    x, tx = lamina.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = x * 1, tx * 1
    y.addcmul_(x, x, value=2).clamp_(-1, 3)
    ty.addcmul_(tx, tx, value=2).clamp_(-1, 3)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad)
