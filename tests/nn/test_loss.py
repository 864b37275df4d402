"""Every loss against torch (values and gradients), gradcheck, stability and bad input."""

import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.helpers import assert_close, to_torch

import lamina
import lamina.nn as nn
import lamina.nn.functional as F
from lamina.autograd import gradcheck

REDUCTIONS = ["mean", "sum", "none"]
FLOATS = [np.float32, np.float64]


def _compare(ours_fn, torch_fn, arrays, grad_of, constants=None, **kwargs):
    """Run both with the same arrays; compare the value and the gradient of each index in
    grad_of (values that are not arrays pass through unchanged). constants: keyword
    arrays (or None) given to both as tensors, such as class weights."""
    constants = constants or {}
    ours_kwargs = {k: None if v is None else lamina.tensor(v) for k, v in constants.items()}
    torch_kwargs = {k: None if v is None else torch.from_numpy(v) for k, v in constants.items()}
    ours_args, torch_args = [], []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            t = lamina.tensor(a, requires_grad=i in grad_of)
            ours_args.append(t)
            torch_args.append(to_torch(t))
        else:
            ours_args.append(a)
            torch_args.append(a)
    out = ours_fn(*ours_args, **ours_kwargs, **kwargs)
    expected = torch_fn(*torch_args, **torch_kwargs, **kwargs)
    assert_close(out, expected)
    upstream = np.random.default_rng(3).standard_normal(out.shape).astype(out.numpy(
        force=True).dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    for i in grad_of:
        assert ours_args[i].grad is not None, f"no gradient for argument {i}"
        assert_close(ours_args[i].grad, torch_args[i].grad)
    return out


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- regression losses
REGRESSION = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 1.0}),
    ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {"delta": 1.0}), ("huber_loss", {"delta": 0.3}),
]


@pytest.mark.parametrize("name,extra", REGRESSION, ids=[f"{n}{e}" for n, e in REGRESSION])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_regression_losses_match_torch(name, extra, reduction, dtype):
    rng = _rng(1)
    x = (rng.standard_normal((4, 5)) * 2).astype(dtype)
    y = rng.standard_normal((4, 5)).astype(dtype)
    _compare(getattr(F, name), getattr(TF, name), [x, y], (0, 1), reduction=reduction, **extra)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_with_elementwise_weight_match_torch(name, reduction):
    rng = _rng(2)
    x, y = rng.standard_normal((2, 3, 4, 5)).astype(np.float64)
    w = rng.random((3, 4, 5))
    _compare(getattr(F, name), getattr(TF, name), [x, y], (0, 1), {"weight": w},
             reduction=reduction)


def test_regression_broadcast_warns_like_torch_and_bad_shapes_raise():
    x, y = lamina.randn(3, 1), lamina.randn(3)
    with pytest.warns(UserWarning, match="target size"):
        out = F.mse_loss(x, y)
    with pytest.warns(UserWarning, match="target size"):
        assert_close(out, TF.mse_loss(to_torch(x), to_torch(y)))
    with pytest.raises(RuntimeError, match=r"mse_loss.*\(3,\).*\(4,\).*broadcast"):
        F.mse_loss(lamina.randn(3), lamina.randn(4))


# ---------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(reduction, dtype, weighted):
    rng = _rng(4)
    x = rng.uniform(0.02, 0.98, (6, 3)).astype(dtype)
    y = rng.random((6, 3)).astype(dtype)
    weight = rng.random(3).astype(dtype) if weighted else None
    _compare(F.binary_cross_entropy, TF.binary_cross_entropy, [x, y], (0, 1),
             {"weight": weight}, reduction=reduction)


def test_bce_clamps_the_log_at_minus_100_like_torch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30], dtype=np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=np.float32)
    out = _compare(F.binary_cross_entropy, TF.binary_cross_entropy, [x, y], (0,),
                   reduction="none")
    assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("weighted,pos_weighted", list(itertools.product([False, True],
                                                                            repeat=2)))
def test_bce_with_logits_matches_torch(reduction, dtype, weighted, pos_weighted):
    rng = _rng(5)
    x = (rng.standard_normal((5, 3)) * 3).astype(dtype)
    y = rng.random((5, 3)).astype(dtype)
    weight = rng.random(3).astype(dtype) if weighted else None
    pos = rng.random(3).astype(dtype) * 3 if pos_weighted else None
    _compare(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
             [x, y], (0, 1), {"weight": weight, "pos_weight": pos}, reduction=reduction)


@pytest.mark.parametrize("dtype", FLOATS)
def test_bce_with_logits_finite_at_huge_logits(dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5], dtype=dtype)
    pos = lamina.tensor(np.array(2.0, dtype=dtype))
    out = _compare(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                   [x, y], (0, 1), reduction="none")
    assert np.isfinite(out.detach().numpy()).all()
    weighted = F.binary_cross_entropy_with_logits(lamina.tensor(x), lamina.tensor(y),
                                                  pos_weight=pos, reduction="none")
    assert_close(weighted, TF.binary_cross_entropy_with_logits(
        torch.from_numpy(x), torch.from_numpy(y), pos_weight=to_torch(pos), reduction="none"))


def test_binary_cross_entropies_reject_bad_targets():
    probs, logits = lamina.rand(3), lamina.randn(3)
    with pytest.raises(RuntimeError, match=r"binary_cross_entropy: expected target of a "
                                           r"floating point dtype, got .*int64.*float\(\)"):
        F.binary_cross_entropy(probs, lamina.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="with_logits: expected target of a floating"):
        F.binary_cross_entropy_with_logits(logits, lamina.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match=r"target size.*\[4\].*input size.*\[3\]"):
        F.binary_cross_entropy(probs, lamina.rand(4))
    with pytest.raises(ValueError, match=r"with_logits: target size.*\[4\]"):
        F.binary_cross_entropy_with_logits(logits, lamina.rand(4))
    with pytest.raises(RuntimeError, match="input should be between 0 and 1.*with_logits"):
        F.binary_cross_entropy(probs + 1, lamina.rand(3))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(probs, lamina.rand(3) + 1)


# ---------------------------------------------------------------- cross-entropy and NLL
CE_SHAPES = [((5, 4), (5,)), ((3, 4, 2), (3, 2)), ((2, 3, 2, 3), (2, 2, 3)), ((4,), ())]


def _class_problem(input_shape, target_shape, dtype, seed=6, ignore=True):
    rng = _rng(seed)
    classes = input_shape[0] if len(input_shape) == 1 else input_shape[1]
    x = (rng.standard_normal(input_shape) * 2).astype(dtype)
    t = rng.integers(0, classes, target_shape).astype(np.int64)
    if ignore and t.ndim and t.size > 1:
        t.reshape(-1)[1] = -100  # one ignored sample
    return x, t, classes


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_with_indices_matches_torch(reduction, weighted, smoothing, dtype):
    for input_shape, target_shape in CE_SHAPES:
        x, t, classes = _class_problem(input_shape, target_shape, dtype)
        weight = _rng(7).random(classes).astype(dtype) + 0.5 if weighted else None
        _compare(F.cross_entropy, TF.cross_entropy, [x, t], (0,), {"weight": weight},
                 reduction=reduction, label_smoothing=smoothing)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_custom_ignore_index_matches_torch(reduction):
    x, t, _ = _class_problem((6, 5), (6,), np.float32, ignore=False)
    t[[0, 3]] = 2
    _compare(F.cross_entropy, TF.cross_entropy, [x, t], (0,), reduction=reduction,
             ignore_index=2)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = np.ones((2, 3), dtype=np.float32)
    t = np.full(2, -100, dtype=np.int64)
    ours = F.cross_entropy(lamina.tensor(x), lamina.tensor(t))
    assert np.isnan(ours.item()) and np.isnan(TF.cross_entropy(torch.from_numpy(x),
                                                               torch.from_numpy(t)).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_with_probabilities_matches_torch(reduction, weighted, smoothing):
    for input_shape in [(5, 4), (2, 4, 3), (4,)]:
        rng = _rng(8)
        x = rng.standard_normal(input_shape)
        dim = 0 if len(input_shape) == 1 else 1
        p = rng.random(input_shape)
        p /= p.sum(axis=dim, keepdims=True)
        weight = rng.random(4) + 0.5 if weighted else None
        _compare(F.cross_entropy, TF.cross_entropy, [x, p], (0, 1), {"weight": weight},
                 reduction=reduction, label_smoothing=smoothing)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_nll_loss_matches_torch(reduction, weighted, dtype):
    for input_shape, target_shape in CE_SHAPES:
        x, t, classes = _class_problem(input_shape, target_shape, dtype, seed=9)
        weight = _rng(7).random(classes).astype(dtype) + 0.5 if weighted else None
        _compare(F.nll_loss, TF.nll_loss, [x, t], (0,), {"weight": weight},
                 reduction=reduction)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_finite_at_huge_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    t = np.array([1, 2, 0], dtype=np.int64)
    for smoothing in (0.0, 0.1):
        out = _compare(F.cross_entropy, TF.cross_entropy, [x, t], (0,),
                       label_smoothing=smoothing)
        assert np.isfinite(out.item())


def test_cross_entropy_float16_matches_torch():
    x = _rng(10).standard_normal((6, 5)).astype(np.float16)
    t = np.array([0, 1, 2, 3, 4, 0], dtype=np.int64)
    ours = lamina.tensor(x, requires_grad=True)
    theirs = torch.from_numpy(x).requires_grad_(True)
    out, expected = F.cross_entropy(ours, lamina.tensor(t)), TF.cross_entropy(
        theirs, torch.from_numpy(t))
    assert out.dtype == lamina.float16
    assert_close(out, expected)
    out.backward()
    expected.backward()
    assert_close(ours.grad, theirs.grad)


def test_cross_entropy_accepts_uint8_targets_like_torch():
    x, t = lamina.randn(3, 4), np.array([0, 3, 1], dtype=np.uint8)
    assert_close(F.cross_entropy(x, lamina.tensor(t)),
                 TF.cross_entropy(to_torch(x), torch.from_numpy(t)))


def test_cross_entropy_bad_targets_raise_saying_what_is_wanted():
    x = lamina.randn(3, 4)
    with pytest.raises(RuntimeError, match=r"cross_entropy: got a lamina.float32 target of shape "
                                           r"\(3,\).*int64.*target.long\(\)"):
        F.cross_entropy(x, lamina.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"class indices of dtype int64.*int32"):
        F.cross_entropy(x, lamina.tensor([0, 1, 2], dtype=lamina.int32))
    with pytest.raises(ValueError, match=r"batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(x, lamina.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"shape \(3, 4\) expected class indices of shape "
                                           r"\(3,\), got \(3, 2\)"):
        F.cross_entropy(x, lamina.tensor([[0, 1]] * 3))
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, lamina.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.nll_loss(x, lamina.tensor([0, -1, 1]))
    with pytest.raises(RuntimeError, match=r"nll_loss: got a lamina.float32 target.*int64"):
        F.nll_loss(x, lamina.rand(3, 4))
    with pytest.raises(RuntimeError, match=r"weight.*one value per class \(4\).*\(3,\)"):
        F.cross_entropy(x, lamina.tensor([0, 1, 2]), weight=lamina.ones(3))


def test_loss_module_errors_name_the_module():
    with pytest.raises(RuntimeError, match=r"CrossEntropyLoss\(\).*float32 target"):
        nn.CrossEntropyLoss()(lamina.randn(3, 4), lamina.rand(3))
    with pytest.raises(ValueError, match=r"BCELoss\(\).*target size"):
        nn.BCELoss()(lamina.rand(3), lamina.rand(2))


def test_bad_reduction_raises_value_error():
    for call in (lambda: F.mse_loss(lamina.randn(2), lamina.randn(2), reduction="avg"),
                 lambda: F.cross_entropy(lamina.randn(2, 3), lamina.tensor([0, 1]),
                                         reduction="avg")):
        with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
            call()


def test_legacy_size_average_and_reduce_map_like_torch():
    x, y = lamina.randn(3, 2), lamina.randn(3, 2)
    for size_average, reduce in [(False, None), (None, False), (True, True), (False, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = nn.MSELoss(size_average=size_average, reduce=reduce)
            theirs = torch.nn.MSELoss(size_average=size_average, reduce=reduce)
        assert ours.reduction == theirs.reduction
        assert_close(ours(x, y), theirs(to_torch(x), to_torch(y)))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        nn.L1Loss(size_average=False)


# ---------------------------------------------------------------- KL, embedding and ranking
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_kl_div_matches_torch(reduction, log_target, dtype):
    rng = _rng(11)
    x = np.log(rng.dirichlet(np.ones(4), 3)).astype(dtype)
    y = rng.dirichlet(np.ones(4), 3).astype(dtype)
    y[0, 1] = 0.0  # 0 * log 0 counts as 0
    if log_target:
        y = np.log(y + 0.1).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about 'mean'
        _compare(F.kl_div, TF.kl_div, [x, y], (0,), reduction=reduction,
                 log_target=log_target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cosine_embedding_loss_matches_torch(reduction, margin, dtype):
    rng = _rng(12)
    a, b = rng.standard_normal((2, 6, 4)).astype(dtype)
    t = np.array([1, -1, 1, -1, -1, 1], dtype=np.int64)
    _compare(F.cosine_embedding_loss, TF.cosine_embedding_loss, [a, b, t], (0, 1),
             margin=margin, reduction=reduction)
    _compare(F.cosine_embedding_loss, TF.cosine_embedding_loss,
             [a[0], b[0], np.array(-1, dtype=np.int64)], (0, 1), margin=margin,
             reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("dtype", FLOATS)
def test_margin_ranking_loss_matches_torch(reduction, margin, dtype):
    rng = _rng(13)
    a, b = rng.standard_normal((2, 7)).astype(dtype)
    t = np.sign(rng.standard_normal(7)).astype(dtype)
    _compare(F.margin_ranking_loss, TF.margin_ranking_loss, [a, b, t], (0, 1, 2),
             margin=margin, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (2, True), (1, False), (3, True)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_triplet_margin_loss_matches_torch(reduction, p, swap, dtype):
    rng = _rng(14)
    a, pos, neg = rng.standard_normal((3, 5, 4)).astype(dtype)
    _compare(F.triplet_margin_loss, TF.triplet_margin_loss, [a, pos, neg], (0, 1, 2),
             margin=0.7, p=p, swap=swap, reduction=reduction)
    _compare(F.triplet_margin_loss, TF.triplet_margin_loss, [a[0], pos[0], neg[0]],
             (0, 1, 2), p=p, swap=swap, reduction=reduction)


def test_embedding_and_ranking_shape_errors():
    with pytest.raises(RuntimeError, match=r"cosine_embedding_loss.*\(3, 4\).*\(3, 5\)"):
        F.cosine_embedding_loss(lamina.randn(3, 4), lamina.randn(3, 5), lamina.ones(3))
    with pytest.raises(RuntimeError, match=r"margin_ranking_loss.*same number of dim"):
        F.margin_ranking_loss(lamina.randn(3), lamina.randn(3, 1), lamina.ones(3))
    with pytest.raises(RuntimeError, match=r"triplet_margin_loss.*anchor \(3, 4\)"):
        F.triplet_margin_loss(lamina.randn(3, 4), lamina.randn(4), lamina.randn(3, 4))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater"):
        nn.TripletMarginLoss(margin=0.0)


# ---------------------------------------------------------------- gradcheck, all losses
def _gradcheck_cases():
    rng = _rng(15)
    x, y = rng.standard_normal((2, 3, 4))
    probs = rng.uniform(0.1, 0.9, (3, 4))
    t = np.array([[0, 3, 1], [2, -100, 0]])
    soft = rng.dirichlet(np.ones(4), 3)
    pos_weight = rng.random(4) + 0.5
    w = rng.random(4) + 0.5
    tensor = lamina.tensor
    return {
        "mse": (lambda a, b: F.mse_loss(a, b), (x, y)),
        "l1": (lambda a, b: F.l1_loss(a, b, reduction="sum"), (x, y)),
        "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), (x, y)),
        "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7, reduction="none"), (x, y)),
        "bce": (lambda a, b: F.binary_cross_entropy(a, b), (probs, rng.random((3, 4)))),
        "bce_logits": (lambda a, b, p: F.binary_cross_entropy_with_logits(a, b, pos_weight=p),
                       (x, rng.random((3, 4)), pos_weight)),
        "cross_entropy": (lambda a: F.cross_entropy(a, tensor(t), weight=tensor(w),
                                                    label_smoothing=0.1),
                          (rng.standard_normal((2, 4, 3)),)),
        "cross_entropy_soft": (lambda a, b: F.cross_entropy(a, b, label_smoothing=0.2),
                               (x, soft)),
        "nll": (lambda a: F.nll_loss(a, tensor(t[0]), weight=tensor(w)), (x,)),
        "kl_div": (lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, soft)),
        "kl_div_log": (lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), (x, y)),
        "cosine": (lambda a, b: F.cosine_embedding_loss(a, b, tensor([1, -1, -1]),
                                                        margin=-0.5), (x, y)),
        "ranking": (lambda a, b: F.margin_ranking_loss(a, b, tensor([1.0, -1.0, 1.0, -1.0]),
                                                       margin=0.5), (x[0], y[0])),
        "triplet": (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, swap=True),
                    (x, y, rng.standard_normal((3, 4)))),
    }


@pytest.mark.parametrize("name", list(_gradcheck_cases()))
def test_gradcheck(name):
    function, arrays = _gradcheck_cases()[name]
    inputs = [lamina.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(function, inputs)


# ---------------------------------------------------------------- modules
def test_modules_match_torch_repr_buffers_and_values():
    weight = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    pairs = [
        (nn.CrossEntropyLoss(weight=lamina.tensor(weight), ignore_index=1, label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(weight=torch.from_numpy(weight), ignore_index=1,
                                   label_smoothing=0.1)),
        (nn.NLLLoss(weight=lamina.tensor(weight), reduction="sum"),
         torch.nn.NLLLoss(weight=torch.from_numpy(weight), reduction="sum")),
    ]
    x = lamina.randn(4, 3)
    t = lamina.tensor([0, 1, 2, 2])
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert_close(ours(x, t), theirs(to_torch(x), to_torch(t)))
    logits_loss = nn.BCEWithLogitsLoss(pos_weight=lamina.tensor(weight))
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.from_numpy(weight))
    assert list(logits_loss.state_dict()) == list(theirs.state_dict()) == ["pos_weight"]
    target = lamina.rand(4, 3)
    assert_close(logits_loss(x, target), theirs(to_torch(x), to_torch(target)))
    for name in ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "KLDivLoss",
                 "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss"]:
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


def test_module_arguments_reach_the_functional():
    rng = _rng(16)
    x, y = rng.standard_normal((2, 5, 3)).astype(np.float32)
    cases = [
        (nn.SmoothL1Loss(beta=0.3, reduction="sum"), torch.nn.SmoothL1Loss(beta=0.3,
                                                                          reduction="sum")),
        (nn.HuberLoss(delta=0.4), torch.nn.HuberLoss(delta=0.4)),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         torch.nn.KLDivLoss(reduction="batchmean", log_target=True)),
    ]
    for ours, theirs in cases:
        assert_close(ours(lamina.tensor(x), lamina.tensor(y)),
                     theirs(torch.from_numpy(x), torch.from_numpy(y)))
    a, b = lamina.tensor(x[:, 0]), lamina.tensor(y[:, 0])
    t = lamina.tensor([1.0, -1.0, 1.0, 1.0, -1.0])
    assert_close(nn.MarginRankingLoss(margin=0.2)(a, b, t),
                 torch.nn.MarginRankingLoss(margin=0.2)(to_torch(a), to_torch(b), to_torch(t)))
    assert_close(nn.CosineEmbeddingLoss(margin=0.1)(lamina.tensor(x), lamina.tensor(y), t),
                 torch.nn.CosineEmbeddingLoss(margin=0.1)(torch.from_numpy(x),
                                                         torch.from_numpy(y), to_torch(t)))
    assert_close(nn.TripletMarginLoss(margin=0.5, p=1)(a[None], b[None], a[None] * 2),
                 torch.nn.TripletMarginLoss(margin=0.5, p=1)(to_torch(a)[None],
                                                             to_torch(b)[None],
                                                             to_torch(a)[None] * 2))


def test_results_stay_float32():
    x, t = lamina.randn(4, 3), lamina.tensor([0, 1, 2, 0])
    assert F.cross_entropy(x, t).dtype == lamina.float32
    assert F.nll_loss(x, t, reduction="none").dtype == lamina.float32
    assert F.mse_loss(x, x * 2).dtype == lamina.float32
    assert F.binary_cross_entropy_with_logits(x, lamina.rand(4, 3)).dtype == lamina.float32
    assert F.binary_cross_entropy(lamina.rand(4, 3), lamina.rand(4, 3)).dtype == lamina.float32


FLOAT16_CASES = {
    "mse_loss": lambda f, x, p, t: f.mse_loss(x, p),
    "smooth_l1_loss": lambda f, x, p, t: f.smooth_l1_loss(x, p),
    "bce_with_logits": lambda f, x, p, t: f.binary_cross_entropy_with_logits(x, p),
    "bce": lambda f, x, p, t: f.binary_cross_entropy(x.sigmoid(), p),
    "cross_entropy": lambda f, x, p, t: f.cross_entropy(x, t, label_smoothing=0.1),
    "nll_loss": lambda f, x, p, t: f.nll_loss(x, t),
    "cosine_embedding": lambda f, x, p, t: f.cosine_embedding_loss(x, p, (t % 2) * 2 - 1),
}


@pytest.mark.parametrize("name", list(FLOAT16_CASES))
def test_float16_works_and_matches_torch(name):
    rng = _rng(17)
    x = rng.standard_normal((4, 6)).astype(np.float16)
    p = rng.random((4, 6)).astype(np.float16)
    t = np.array([0, 1, 2, 5])
    ours_x = lamina.tensor(x, requires_grad=True)
    theirs_x = torch.from_numpy(x).requires_grad_(True)
    out = FLOAT16_CASES[name](F, ours_x, lamina.tensor(p), lamina.tensor(t))
    expected = FLOAT16_CASES[name](TF, theirs_x, torch.from_numpy(p), torch.from_numpy(t))
    assert out.dtype == lamina.float16
    assert_close(out, expected)
    out.backward()
    expected.backward()
    assert_close(ours_x.grad, theirs_x.grad)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("bool", "bool"), ("int64", "float32")],
                         ids=["int", "bool", "int and float"])
def test_regression_losses_on_integer_tensors_like_torch(name, reduction, dtypes):
    def run(lib):
        input = lib.tensor([1, 2, 0]).to(getattr(lib, dtypes[0]))
        target = lib.tensor([1, 3, 1]).to(getattr(lib, dtypes[1]))
        return getattr(lib.nn.functional, name)(input, target, reduction=reduction)

    try:
        theirs = run(torch)
    except RuntimeError as error:  # NotImplementedError is one too
        with pytest.raises(type(error)):
            run(lamina)
        return
    assert_close(run(lamina), theirs)  # an integer loss for l1's 'none' and 'sum'
