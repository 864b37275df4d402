"""The likelihood and margin losses and gumbel_softmax against torch: values and gradients
for every reduction and float dtype, gradcheck, torch's errors, module reprs."""

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


def _compare(name, arrays, grad_of, **kwargs):
    """F.<name> and torch's on the same arrays (non-arrays pass through): the value, then the
    gradient of every argument in grad_of, where torch gives it one (and we must too)."""
    ours_args, torch_args = [], []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            grad = i in grad_of
            ours_args.append(lamina.tensor(a, requires_grad=grad))
            torch_args.append(torch.from_numpy(a.copy()).requires_grad_(grad))
        else:
            ours_args.append(a)
            torch_args.append(a)
    out = getattr(F, name)(*ours_args, **kwargs)
    expected = getattr(TF, name)(*torch_args, **kwargs)
    assert out.shape == tuple(expected.shape)
    assert_close(out, expected)
    upstream = np.random.default_rng(3).standard_normal(out.shape).astype(
        out.detach().numpy().dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    for i in grad_of:
        if torch_args[i].grad is None:
            continue
        assert ours_args[i].grad is not None, f"no gradient for argument {i}"
        assert_close(ours_args[i].grad, torch_args[i].grad)
    return out


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- likelihoods
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss_matches_torch(reduction, dtype, log_input, full):
    rng = _rng(1)
    x = rng.standard_normal((4, 5)).astype(dtype)
    if not log_input:
        x = np.abs(x) + dtype(0.1)
    # counts from 0 to 5, so full's term is both masked (<= 1) and used; 0.5 apart from 0
    # keeps the target gradient of log(target) finite
    y = rng.integers(0, 6, (4, 5)).astype(dtype) + dtype(0.5)
    _compare("poisson_nll_loss", [x, y], (0, 1), log_input=log_input, full=full,
             reduction=reduction)


def test_poisson_nll_loss_eps_and_broadcast_match_torch():
    x = np.array([[0.0, 1e-3, 2.0]])
    y = np.array([1.0, 2.0, 3.0])
    _compare("poisson_nll_loss", [x, y], (0,), log_input=False, eps=1e-2, reduction="none")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("var_shape", [(4, 5), (4,), (4, 1), (1, 5)], ids=str)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_matches_torch(reduction, dtype, var_shape, full):
    rng = _rng(2)
    x, y = rng.standard_normal((2, 4, 5)).astype(dtype)
    var = rng.uniform(0.2, 2.0, var_shape).astype(dtype)
    _compare("gaussian_nll_loss", [x, y, var], (0, 1, 2), full=full, reduction=reduction)


def test_gaussian_nll_loss_scalar_variance_and_eps_clamp_match_torch():
    rng = _rng(3)
    x, y = rng.standard_normal((2, 3, 2)).astype(np.float32)
    out = _compare("gaussian_nll_loss", [x, y, 0.7], (0, 1))
    assert out.dtype == lamina.float32
    # variances below eps are clamped in value while their gradient passes straight through
    var = np.array([[0.0, 1e-9], [0.5, 1e-7], [2.0, 0.0]])
    _compare("gaussian_nll_loss", [x.astype(np.float64), y.astype(np.float64), var], (0, 2),
             eps=1e-6, reduction="none")


def test_gaussian_nll_loss_errors_like_torch():
    x = lamina.randn(3, 4)
    for var in [lamina.ones(3, 3), lamina.ones(4), lamina.ones(1, 1), lamina.ones(())]:
        with pytest.raises(ValueError, match="var is of incorrect size"):
            F.gaussian_nll_loss(x, x, var)
        with pytest.raises(ValueError, match="var is of incorrect size"):
            TF.gaussian_nll_loss(to_torch(x), to_torch(x), to_torch(var))
    for var in [-1.0, lamina.tensor([[1.0], [-1.0], [1.0]])]:
        with pytest.raises(ValueError, match="negative"):
            F.gaussian_nll_loss(x, x, var)
    with pytest.raises(ValueError, match="foo"):
        F.gaussian_nll_loss(x, x, lamina.ones(3, 4), reduction="foo")


# ---------------------------------------------------------------- binary-label margin losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_soft_margin_loss_matches_torch(reduction, dtype):
    rng = _rng(4)
    x = (rng.standard_normal((4, 5)) * 3).astype(dtype)
    y = rng.choice([-1.0, 1.0], (4, 5)).astype(dtype)
    _compare("soft_margin_loss", [x, y], (0,), reduction=reduction)


def test_soft_margin_loss_stays_finite_at_large_margins():
    x = lamina.tensor([-100.0, 100.0], requires_grad=True)
    out = F.soft_margin_loss(x, lamina.tensor([1.0, -1.0]), reduction="none")
    # the loss is ~ -target * input there: 100 for both
    assert_close(out, torch.tensor([100.0, 100.0]))
    out.sum().backward()
    assert_close(x.grad, torch.tensor([-1.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss_matches_torch(reduction, dtype, margin):
    rng = _rng(5)
    x = (rng.standard_normal((4, 5)) * 2).astype(dtype)
    # a 0 and a 2 among the targets: torch applies both terms to targets that are neither
    y = rng.choice([-1.0, 1.0, 0.0, 2.0], (4, 5), p=[0.4, 0.4, 0.1, 0.1]).astype(dtype)
    _compare("hinge_embedding_loss", [x, y], (0,), margin=margin, reduction=reduction)
    _compare("hinge_embedding_loss", [x, y[0]], (0,), margin=margin, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 5)], ids=str)
def test_multilabel_soft_margin_loss_matches_torch(reduction, dtype, weighted, shape):
    rng = _rng(6)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    y = rng.integers(0, 2, shape).astype(dtype)
    weight = rng.random(5).astype(dtype) if weighted else None
    ours_weight = None if weight is None else lamina.tensor(weight)
    torch_weight = None if weight is None else torch.from_numpy(weight)
    out = F.multilabel_soft_margin_loss(lamina.tensor(x), lamina.tensor(y), ours_weight,
                                        reduction=reduction)
    assert_close(out, TF.multilabel_soft_margin_loss(torch.from_numpy(x), torch.from_numpy(y),
                                                     torch_weight, reduction=reduction))
    _compare("multilabel_soft_margin_loss", [x, y, weight], (0, 1), reduction=reduction)


def test_binary_label_losses_reject_unbroadcastable_shapes():
    x = lamina.randn(3, 4)
    for name in ["soft_margin_loss", "hinge_embedding_loss", "poisson_nll_loss"]:
        with pytest.raises(RuntimeError):
            getattr(TF, name)(to_torch(x), torch.ones(3))
        with pytest.raises(RuntimeError):
            getattr(F, name)(x, lamina.ones(3))
    for name in ["soft_margin_loss", "hinge_embedding_loss", "poisson_nll_loss",
                 "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss"]:
        with pytest.raises(ValueError):
            getattr(F, name)(x, lamina.ones(3, 4).long(), reduction="foo")


# ---------------------------------------------------------------- class-index margin losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_torch(reduction, dtype, p, margin, weighted):
    rng = _rng(7)
    x = rng.standard_normal((6, 4)).astype(dtype)
    t = rng.integers(0, 4, 6)
    weight = rng.random(4).astype(dtype) + dtype(0.5) if weighted else None
    kwargs = dict(p=p, margin=margin, reduction=reduction)
    out = F.multi_margin_loss(lamina.tensor(x), lamina.tensor(t),
                              weight=None if weight is None else lamina.tensor(weight),
                              **kwargs)
    expected = TF.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(t),
                                    weight=None if weight is None else torch.from_numpy(weight),
                                    **kwargs)
    assert_close(out, expected)
    if weight is None:
        _compare("multi_margin_loss", [x, t], (0,), **kwargs)
        # unbatched: input (C,), target ()
        _compare("multi_margin_loss", [x[0], np.array(t[0])], (0,), **kwargs)
    else:
        ours = lamina.tensor(x, requires_grad=True)
        theirs = torch.from_numpy(x).requires_grad_()
        F.multi_margin_loss(ours, lamina.tensor(t), weight=lamina.tensor(weight),
                            **kwargs).sum().backward()
        TF.multi_margin_loss(theirs, torch.from_numpy(t), weight=torch.from_numpy(weight),
                             **kwargs).sum().backward()
        assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    rng = _rng(8)
    x = rng.standard_normal((4, 5)).astype(dtype)
    # labels end at the first -1 (anything after it is ignored); a repeated label counts twice
    t = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [0, 1, 2, 3, 4], [2, 2, -1, -1, -1]])
    _compare("multilabel_margin_loss", [x, t], (0,), reduction=reduction)
    _compare("multilabel_margin_loss", [x[0], t[0]], (0,), reduction=reduction)
    _compare("multilabel_margin_loss", [x[:1], np.full((1, 5), -1)], (0,), reduction=reduction)


def test_class_index_margin_losses_raise_torch_errors():
    x = lamina.randn(3, 4)

    def both(error, name, *args, **kwargs):
        with pytest.raises(error):
            getattr(TF, name)(*[to_torch(a) if isinstance(a, lamina.Tensor) else a
                                for a in args], **{k: to_torch(v) for k, v in kwargs.items()})
        with pytest.raises(error, match=name):
            getattr(F, name)(*args, **kwargs)

    both(RuntimeError, "multi_margin_loss", x, lamina.tensor([0, 1, 4]))
    both(RuntimeError, "multi_margin_loss", x, lamina.tensor([0, -1, 2]))
    both(RuntimeError, "multi_margin_loss", x, lamina.tensor([0, 1]))
    both(RuntimeError, "multi_margin_loss", x, lamina.tensor([0.0, 1.0, 2.0]))
    both(RuntimeError, "multi_margin_loss", lamina.randn(2, 3, 4), lamina.tensor([0, 1]))
    both(RuntimeError, "multi_margin_loss", x, lamina.tensor([0, 1, 2]), weight=lamina.ones(3))
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        F.multi_margin_loss(x, lamina.tensor([0, 1, 2]), p=3)
    with pytest.raises(ValueError, match="one-dimensional"):
        F.multi_margin_loss(x, lamina.tensor([0, 1, 2]), weight=lamina.ones(2, 2))
    both(RuntimeError, "multilabel_margin_loss", x, lamina.tensor([[0, 1, -1, 2]] * 2))
    both(RuntimeError, "multilabel_margin_loss", x, lamina.tensor([[0, 1, -1, 4]] * 3))
    both(RuntimeError, "multilabel_margin_loss", x, lamina.tensor([[0, -2, -1, 1]] * 3))
    both(RuntimeError, "multilabel_margin_loss", x, lamina.tensor([[0.0, 1.0, -1.0, 2.0]] * 3))
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="1D tensor"):
        nn.MultiMarginLoss(weight=lamina.ones(2, 2))


# ---------------------------------------------------------------- gradcheck
def _gradcheck_cases():
    rng = _rng(9)
    x, y = rng.standard_normal((2, 3, 4))
    counts = rng.integers(0, 5, (3, 4)) + 0.5
    signs = np.sign(y)
    var = rng.uniform(0.5, 2.0, (3, 1))
    tensor = lamina.tensor
    labels = tensor([[3, 1, -1, 0], [0, -1, 2, 2], [1, 2, 3, 0]])
    weight = tensor(rng.random(4) + 0.5)
    return {
        "poisson": (lambda a, b: F.poisson_nll_loss(a, b, full=True), (x, counts)),
        "poisson_rate": (lambda a: F.poisson_nll_loss(a, tensor(counts), log_input=False,
                                                      reduction="sum"), (np.abs(x) + 0.5,)),
        "gaussian": (lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True), (x, y, var)),
        "soft_margin": (lambda a: F.soft_margin_loss(a, tensor(signs), reduction="none"), (x,)),
        "hinge_embedding": (lambda a: F.hinge_embedding_loss(a, tensor(signs), margin=0.5),
                            (x,)),
        "multilabel_soft_margin": (lambda a, b: F.multilabel_soft_margin_loss(
            a, b, weight=weight), (x, rng.random((3, 4)))),
        "multi_margin": (lambda a: F.multi_margin_loss(a, tensor([0, 3, 1]), p=2, margin=0.7,
                                                       weight=weight), (x,)),
        "multilabel_margin": (lambda a: F.multilabel_margin_loss(a, labels, reduction="sum"),
                              (x,)),
    }


@pytest.mark.parametrize("name", list(_gradcheck_cases()))
def test_gradcheck(name):
    function, arrays = _gradcheck_cases()[name]
    inputs = [lamina.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(function, inputs)


# ---------------------------------------------------------------- modules
MODULES = ["PoissonNLLLoss", "GaussianNLLLoss", "SoftMarginLoss", "HingeEmbeddingLoss",
           "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss"]


@pytest.mark.parametrize("name", MODULES)
def test_module_repr_and_state_dict_match_torch(name):
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
    assert list(getattr(nn, name)().state_dict()) == list(getattr(torch.nn, name)().state_dict())


def test_module_arguments_reach_the_functional():
    rng = _rng(10)
    x, y = rng.standard_normal((2, 5, 3)).astype(np.float32)
    counts = rng.integers(0, 4, (5, 3)).astype(np.float32) + 0.5
    signs = np.sign(y)
    var = rng.uniform(0.5, 1.5, (5,)).astype(np.float32)
    weight = (rng.random(3) + 0.5).astype(np.float32)
    t = np.array([0, 2, 1, 1, 0])
    labels = np.array([[2, -1, 0]] * 5)
    cases = [
        ("PoissonNLLLoss", dict(log_input=False, full=True, eps=0.1, reduction="sum"),
         (np.abs(x), counts)),
        ("GaussianNLLLoss", dict(full=True, eps=0.6, reduction="none"), (x, y, var)),
        ("SoftMarginLoss", dict(reduction="sum"), (x, signs)),
        ("HingeEmbeddingLoss", dict(margin=0.2, reduction="none"), (x, signs)),
        ("MultiLabelSoftMarginLoss", dict(weight=weight, reduction="sum"),
         (x, (y > 0).astype(np.float32))),
        ("MultiMarginLoss", dict(p=2, margin=0.5, weight=weight), (x, t)),
        ("MultiLabelMarginLoss", dict(reduction="none"), (x, labels)),
    ]
    for name, kwargs, arrays in cases:
        ours_kwargs = {k: lamina.tensor(v) if isinstance(v, np.ndarray) else v
                       for k, v in kwargs.items()}
        torch_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                        for k, v in kwargs.items()}
        ours = getattr(nn, name)(**ours_kwargs)
        theirs = getattr(torch.nn, name)(**torch_kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        out = ours(*[lamina.tensor(a) for a in arrays])
        assert out.dtype == lamina.float32, name
        assert_close(out, theirs(*[torch.from_numpy(a) for a in arrays]))


def test_legacy_size_average_and_reduce_map_like_torch():
    rng = _rng(11)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    signs = np.sign(rng.standard_normal((4, 3))).astype(np.float32)
    for flags in [dict(size_average=False), dict(reduce=False), dict(size_average=True)]:
        with pytest.warns(UserWarning, match="deprecated"):
            ours = nn.SoftMarginLoss(**flags)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.SoftMarginLoss(**flags)
            expected = TF.hinge_embedding_loss(torch.from_numpy(x), torch.from_numpy(signs),
                                               **flags)
            got = F.hinge_embedding_loss(lamina.tensor(x), lamina.tensor(signs), **flags)
        assert ours.reduction == theirs.reduction
        assert_close(got, expected)


# ---------------------------------------------------------------- gumbel_softmax
@pytest.mark.parametrize("dtype", [lamina.float32, lamina.float64])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_gumbel_softmax_shapes_and_rows_summing_to_one(dtype, dim):
    lamina.manual_seed(0)
    logits = lamina.randn(3, 4, 5, dtype=dtype)
    soft = F.gumbel_softmax(logits, tau=0.5, dim=dim)
    hard = F.gumbel_softmax(logits, hard=True, dim=dim)
    for sample in (soft, hard):
        assert sample.shape == (3, 4, 5) and sample.dtype == dtype
        assert np.allclose(sample.sum(dim).numpy(), 1.0)
        assert (sample.numpy() >= 0).all()
    values = hard.numpy()
    assert set(np.unique(values)) == {0.0, 1.0}
    assert ((values == 1).sum(dim) == 1).all()


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient():
    logits = lamina.randn(6, 4, requires_grad=True)
    upstream = lamina.randn(6, 4)
    lamina.manual_seed(7)
    hard = F.gumbel_softmax(logits, tau=0.7, hard=True)
    (hard * upstream).sum().backward()
    hard_grad = logits.grad.clone()
    logits.grad = None
    lamina.manual_seed(7)  # the same Gumbel noise, so the same soft sample
    soft = F.gumbel_softmax(logits, tau=0.7)
    (soft * upstream).sum().backward()
    assert_close(hard_grad, logits.grad)
    assert np.array_equal(hard.detach().numpy().argmax(1), soft.detach().numpy().argmax(1))
    assert np.array_equal(hard.detach().numpy(),
                          np.eye(4, dtype=np.float32)[soft.detach().numpy().argmax(1)])
    assert not np.allclose(logits.grad.numpy(), 0)


def test_gumbel_softmax_is_repeatable_under_a_seed():
    logits = lamina.randn(4, 3)
    lamina.manual_seed(3)
    first = F.gumbel_softmax(logits)
    lamina.manual_seed(3)
    assert np.array_equal(first.numpy(), F.gumbel_softmax(logits).numpy())
    assert not np.array_equal(first.numpy(), F.gumbel_softmax(logits).numpy())


@pytest.mark.parametrize("tau", [1.0, 0.3])
def test_gumbel_softmax_argmax_frequencies_follow_softmax(tau):
    # the Gumbel-max trick: argmax(logits + g) is a draw from softmax(logits), at any tau
    lamina.manual_seed(11)
    probabilities = np.array([0.5, 0.3, 0.15, 0.05])
    logits = lamina.tensor(np.log(probabilities).astype(np.float32)).expand(20000, 4)
    hard = F.gumbel_softmax(logits, tau=tau, hard=True)
    frequencies = hard.numpy().mean(0)
    # 20000 draws: the standard error is below 0.0036, so 0.015 is four of them
    assert np.abs(frequencies - probabilities).max() < 0.015


# ---------------------------------------------------------------- CTC
def _ctc_problem(dtype, seed=12):
    rng = _rng(seed)
    logits = rng.standard_normal((12, 4, 5)).astype(dtype)
    # repeats (which need a blank between them), a short one, and an empty target
    targets = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [3, 3, 3, 3], [0, 0, 0, 0]])
    return logits, targets, np.array([12, 9, 8, 5]), np.array([4, 2, 4, 0])


def _ctc_both(logits, targets, input_lengths, target_lengths, through_log_softmax=True,
              **kwargs):
    ours = lamina.tensor(logits, requires_grad=True)
    theirs = torch.from_numpy(logits).requires_grad_()
    ours_in = ours.log_softmax(-1) if through_log_softmax else ours
    theirs_in = theirs.log_softmax(-1) if through_log_softmax else theirs
    out = F.ctc_loss(ours_in, lamina.tensor(targets), lamina.tensor(input_lengths),
                     lamina.tensor(target_lengths), **kwargs)
    expected = TF.ctc_loss(theirs_in, torch.from_numpy(targets), torch.from_numpy(input_lengths),
                           torch.from_numpy(target_lengths), **kwargs)
    assert out.shape == tuple(expected.shape)
    assert_close(out, expected)
    upstream = np.random.default_rng(3).standard_normal(out.shape).astype(logits.dtype)
    out.backward(lamina.tensor(upstream))
    expected.backward(torch.from_numpy(upstream))
    assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_ctc_loss_matches_torch(reduction, dtype):
    _ctc_both(*_ctc_problem(dtype), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_gradient_on_log_probs_is_torchs(reduction):
    # torch's gradient is the one for scores before a log_softmax; we return the same
    _ctc_both(*_ctc_problem(np.float64, 13), through_log_softmax=False, reduction=reduction)


def test_ctc_loss_concatenated_targets_blank_and_unbatched_match_torch():
    logits, targets, input_lengths, target_lengths = _ctc_problem(np.float32, 14)
    concatenated = np.concatenate([t[:n] for t, n in zip(targets, target_lengths)])
    _ctc_both(logits, concatenated, input_lengths, target_lengths)
    # blank=4: the labels use 0..3 instead
    _ctc_both(logits, targets % 4, input_lengths, target_lengths, blank=4, reduction="none")
    _ctc_both(logits[:, 0], targets[0], np.array(12), np.array(4), reduction="none")


def test_ctc_loss_impossible_alignment_is_inf_or_zero_like_torch():
    logits = _rng(15).standard_normal((3, 1, 4))
    targets, input_lengths, target_lengths = np.array([[1, 1, 2]]), np.array([3]), np.array([3])
    out = F.ctc_loss(lamina.tensor(logits).log_softmax(-1), lamina.tensor(targets),
                     lamina.tensor(input_lengths), lamina.tensor(target_lengths),
                     reduction="none")
    assert np.isinf(out.numpy()).all()
    _ctc_both(logits, targets, input_lengths, target_lengths, zero_infinity=True)


def test_ctc_loss_gradcheck_and_module():
    logits, targets, input_lengths, target_lengths = _ctc_problem(np.float64, 16)
    assert gradcheck(lambda x: F.ctc_loss(x.log_softmax(-1), lamina.tensor(targets[:2]),
                                          (6, 5), tuple(target_lengths[:2])),
                     [lamina.tensor(logits[:6, :2], requires_grad=True)])
    assert repr(nn.CTCLoss()) == repr(torch.nn.CTCLoss())
    ours = nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True)
    theirs = torch.nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True)
    log_probs = lamina.tensor(logits).log_softmax(-1)
    targets = targets % 4
    assert_close(ours(log_probs, lamina.tensor(targets), input_lengths.tolist(),
                      target_lengths.tolist()),
                 theirs(to_torch(log_probs), torch.from_numpy(targets), input_lengths.tolist(),
                        target_lengths.tolist()))


def test_ctc_loss_errors():
    logits, targets, input_lengths, target_lengths = _ctc_problem(np.float32)
    log_probs = lamina.tensor(logits)
    with pytest.raises(RuntimeError, match="input_lengths"):
        F.ctc_loss(log_probs, lamina.tensor(targets), [13, 9, 8, 5], target_lengths.tolist())
    with pytest.raises(RuntimeError, match="input_lengths"):
        F.ctc_loss(log_probs, lamina.tensor(targets), [12, 9], target_lengths.tolist())
    with pytest.raises(RuntimeError, match="targets"):
        F.ctc_loss(log_probs, lamina.tensor(targets[:3]), input_lengths.tolist(),
                   target_lengths.tolist())
    with pytest.raises(RuntimeError, match=r"labels must be in \[0, C=5\), got 2..5"):
        F.ctc_loss(log_probs, lamina.tensor(targets + 1), input_lengths.tolist(),
                   target_lengths.tolist())
    with pytest.raises(RuntimeError, match="log_probs"):
        F.ctc_loss(lamina.randn(2, 3, 4, 5), lamina.tensor(targets), [1], [1])
    with pytest.raises(RuntimeError):
        TF.ctc_loss(to_torch(log_probs), torch.from_numpy(targets), [13, 9, 8, 5],
                    target_lengths.tolist())
