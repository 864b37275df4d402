"""lamina.linalg's decompositions and the functions built on them (src/lamina/_ops/
decompositions.py and matrix_functions.py) against torch:
values, gradients, gradcheck, errors.

Factors with a sign gauge (eigenvectors, Q and R) are compared through quantities torch
guarantees: eigenvectors squared elementwise, and QR normalised to a positive diagonal of R.
Functions that read one triangle of a symmetric matrix get (A + A^T) / 2, so every element of
the input is a real direction for the gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests._ops.optable import run_both

import lamina
from lamina._ops import matrix_functions


def _x(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _well_conditioned(shape, seed=0):
    return _x(shape, seed=seed) + 3 * np.eye(shape[-1])


def _spd(shape, seed=0):
    a = _x(shape, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _sym(A):
    return (A + A.mT) / 2


def _linalg(name, **kwargs):
    """The same call in both libraries: f(lib, *tensors) -> outputs."""
    return lambda lib, *t: getattr(lib.linalg, name)(*t, **kwargs)


def _eigh_invariants(lib, A, UPLO="L"):
    values, vectors = lib.linalg.eigh(_sym(A), UPLO=UPLO)
    return values, vectors * vectors  # eigenvectors up to sign


def _qr_positive(lib, A, mode="reduced"):
    q, r = lib.linalg.qr(A, mode=mode)
    k = min(A.shape[-2:])
    signs = r[..., :k, :k].diagonal(dim1=-2, dim2=-1).sign().detach()
    if mode == "complete" and A.shape[-2] > k:  # the extra columns of Q have no gauge to fix
        return q[..., :k] * signs.unsqueeze(-2), r * signs.unsqueeze(-1)
    return q * signs.unsqueeze(-2), r * signs.unsqueeze(-1)


def _cholesky_solve(lib, B, factor, upper=False):
    # not yet exported as lamina.cholesky_solve (lamina/__init__.py is owned elsewhere)
    solve = torch.cholesky_solve if lib is torch else matrix_functions.cholesky_solve
    return solve(B, factor.triu() if upper else factor.tril(), upper=upper)


def _lstsq(lib, A, B):
    return tuple(lib.linalg.lstsq(A, B))


CASES = [
    ("cholesky", lambda lib, A: lib.linalg.cholesky(_sym(A)), [_spd((4, 4))]),
    ("cholesky-upper-batch", lambda lib, A: lib.linalg.cholesky(_sym(A), upper=True),
     [_spd((2, 3, 3))]),
    ("cholesky_ex", lambda lib, A: tuple(lib.linalg.cholesky_ex(_sym(A))), [_spd((2, 3, 3))]),
    ("slogdet", lambda lib, A: tuple(lib.linalg.slogdet(A)), [_x((4, 4), seed=1)]),
    ("slogdet-batch", lambda lib, A: tuple(lib.linalg.slogdet(A)), [_x((3, 3, 3), seed=2)]),
    ("eigh", _eigh_invariants, [_x((4, 4))]),
    ("eigh-U-batch", lambda lib, A: _eigh_invariants(lib, A, "U"), [_x((2, 3, 3), seed=3)]),
    ("eigvalsh", lambda lib, A: lib.linalg.eigvalsh(_sym(A)), [_x((2, 4, 4), seed=4)]),
    ("qr-tall", _qr_positive, [_x((5, 3))]),
    ("qr-square-batch", _qr_positive, [_x((2, 3, 3))]),
    ("qr-wide", _qr_positive, [_x((3, 5))]),
    ("qr-complete-wide", lambda lib, A: _qr_positive(lib, A, "complete"), [_x((2, 4))]),
    ("pinv-tall", _linalg("pinv"), [_x((5, 3))]),
    ("pinv-wide-batch", _linalg("pinv"), [_x((2, 3, 4))]),
    ("pinv-hermitian", lambda lib, A: lib.linalg.pinv(_sym(A), hermitian=True),
     [_x((4, 4), seed=5)]),
    ("solve_triangular-lower", _linalg("solve_triangular", upper=False),
     [_well_conditioned((3, 3)), _x((3, 2))]),
    ("solve_triangular-upper-broadcast", _linalg("solve_triangular", upper=True),
     [_well_conditioned((2, 3, 3)), _x((3, 4))]),
    ("solve_triangular-right-unit", _linalg("solve_triangular", upper=True, left=False,
                                            unitriangular=True),
     [_well_conditioned((3, 3)), _x((2, 3))]),
    ("cholesky_solve", _cholesky_solve,
     [_x((3, 2)), np.linalg.cholesky(_spd((3, 3)))]),
    ("cholesky_solve-upper", lambda lib, B, U: _cholesky_solve(lib, B, U, upper=True),
     [_x((2, 3, 2)), np.linalg.cholesky(_spd((3, 3))).T.copy()]),
    ("lstsq-tall", _lstsq, [_x((5, 3)), _x((5, 2), seed=1)]),
    ("lstsq-wide-vector", _lstsq, [_x((3, 5)), _x((3,), seed=1)]),
    ("lstsq-batch", _lstsq, [_x((2, 4, 3)), _x((2, 4, 2), seed=1)]),
    ("cross", _linalg("cross"), [_x((4, 3)), _x((1, 3), seed=1)]),
    ("cross-dim0", _linalg("cross", dim=0), [_x((3, 2)), _x((3, 2), seed=1)]),
    ("vecdot", _linalg("vecdot"), [_x((2, 4)), _x((4,), seed=1)]),
    ("vecdot-dim0", _linalg("vecdot", dim=0), [_x((3, 2)), _x((3, 2), seed=1)]),
    ("matrix_power-5", lambda lib, A: lib.linalg.matrix_power(A, 5), [_x((2, 3, 3)) / 2]),
    ("matrix_power--2", lambda lib, A: lib.linalg.matrix_power(A, -2),
     [_well_conditioned((3, 3))]),
    ("matrix_power-1", lambda lib, A: lib.linalg.matrix_power(A, 1), [_x((3, 3))]),
    ("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
     [_x((2, 3)), _x((3, 4), seed=1), _x((4, 2), seed=2)]),
    ("multi_dot-vectors", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
     [_x((3,)), _x((3, 4), seed=1), _x((4,), seed=2)]),
]


# One triangle read, a non-symmetric input: torch's gradient is the symmetric one (not the
# one-triangle derivative a finite difference sees), so these are compared with torch only.
ONE_TRIANGLE = [
    ("cholesky-raw", _linalg("cholesky"), [_spd((3, 3)) + np.triu(np.ones((3, 3)), 1)]),
    ("eigh-raw", lambda lib, A: tuple(v * v if v.ndim > 1 else v for v in lib.linalg.eigh(A)),
     [_x((2, 3, 3), seed=8)]),
    ("eigvalsh-raw-U", _linalg("eigvalsh", UPLO="U"), [_x((4, 4), seed=9)]),
    ("pinv-hermitian-raw", _linalg("pinv", hermitian=True), [_spd((3, 3)) + _x((3, 3))]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn, arrays",
                         [pytest.param(f, a, id=n) for n, f, a in CASES + ONE_TRIANGLE])
def test_matches_torch(fn, arrays, dtype):
    ours = run_both(lambda *t: fn(lamina, *t), lambda *t: fn(torch, *t),
                    [a.astype(dtype) for a in arrays],
                    rtol=1e-4 if dtype == np.float32 else 1e-10)
    floating = [o for o in ours if o.dtype.is_floating_point]
    assert floating and all(o.dtype == (lamina.float32 if dtype == np.float32
                                        else lamina.float64) for o in floating)


@pytest.mark.parametrize("fn, arrays", [pytest.param(f, a, id=n) for n, f, a in CASES])
def test_gradcheck(fn, arrays):
    inputs = [lamina.tensor(a, requires_grad=True) for a in arrays]

    def floating_outputs(*t):
        out = fn(lamina, *t)
        out = out if isinstance(out, tuple) else (out,)
        return tuple(o for o in out if o.dtype.is_floating_point and o.numel())

    assert lamina.autograd.gradcheck(floating_outputs, inputs)


def test_qr_reconstructs_with_torch_shapes():
    for shape in [(5, 3), (3, 5), (2, 4, 4)]:
        a = _x(shape)
        for mode in ("reduced", "complete", "r"):
            q, r = lamina.linalg.qr(lamina.tensor(a), mode=mode)
            tq, tr = torch.linalg.qr(torch.tensor(a), mode=mode)
            assert tuple(q.shape) == tuple(tq.shape) and tuple(r.shape) == tuple(tr.shape)
            np.testing.assert_allclose(np.abs(r.numpy()), np.abs(tr.numpy()), atol=1e-12)
            if mode != "r":
                np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-12)
                eye = np.eye(q.shape[-1])
                np.testing.assert_allclose(
                    q.numpy().swapaxes(-1, -2) @ q.numpy(),
                    np.broadcast_to(eye, q.shape[:-2] + eye.shape), atol=1e-12)


def test_qr_backward_refusals_match_torch():
    for mode, shape in [("r", (3, 3)), ("complete", (4, 3))]:
        for lib in (torch, lamina):
            a = lib.tensor(_x(shape), requires_grad=True)
            q, r = lib.linalg.qr(a, mode=mode)
            with pytest.raises(RuntimeError, match="not computed|not differentiable"):
                r.sum().backward()


def test_eigh_values_ascending_and_vectors_reconstruct():
    a = _spd((2, 4, 4), seed=7)
    values, vectors = lamina.linalg.eigh(lamina.tensor(a))
    w, v = values.numpy(), vectors.numpy()
    assert (np.diff(w, axis=-1) > 0).all()
    np.testing.assert_allclose((v * w[..., None, :]) @ v.swapaxes(-1, -2), a, atol=1e-10)
    np.testing.assert_allclose(w, torch.linalg.eigh(torch.tensor(a)).eigenvalues.numpy(),
                               rtol=1e-10)


def test_eigh_reads_only_the_named_triangle():
    a = _x((3, 3))
    for UPLO, sym in (("L", np.tril(a) + np.tril(a, -1).T), ("U", np.triu(a) + np.triu(a, 1).T)):
        np.testing.assert_allclose(lamina.linalg.eigvalsh(lamina.tensor(a), UPLO).numpy(),
                                   np.linalg.eigvalsh(sym), rtol=1e-10)


def test_cholesky_not_positive_definite():
    bad = np.diag([1.0, -1.0, 2.0]).astype(np.float32)
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.cholesky(torch.tensor(bad))
    with pytest.raises(lamina.linalg.LinAlgError, match="order 2"):
        lamina.linalg.cholesky(lamina.tensor(bad))
    batch = np.stack([np.eye(3, dtype=np.float32), bad])
    lower, info = lamina.linalg.cholesky_ex(lamina.tensor(batch))
    theirs = torch.linalg.cholesky_ex(torch.tensor(batch))
    assert info.dtype == lamina.int32 and info.tolist() == theirs.info.tolist() == [0, 2]
    np.testing.assert_allclose(lower.numpy()[0], theirs.L.numpy()[0])
    with pytest.raises(lamina.linalg.LinAlgError):
        lamina.linalg.cholesky_ex(lamina.tensor(batch), check_errors=True)


def test_slogdet_of_singular_matrix():
    ours = lamina.linalg.slogdet(lamina.tensor(np.ones((3, 3))))
    theirs = torch.linalg.slogdet(torch.ones(3, 3, dtype=torch.float64))
    assert ours.sign.item() == theirs.sign.item() == 0
    assert ours.logabsdet.item() == theirs.logabsdet.item() == -np.inf


def test_pinv_tolerances_and_rank_match_torch():
    # rank 2 in a 4x3 matrix, plus a singular value just above and below the cutoffs
    u, _ = np.linalg.qr(_x((4, 3)))
    v, _ = np.linalg.qr(_x((3, 3), seed=1))
    a = (u * np.array([3.0, 1e-3, 0.0])) @ v.T
    for kwargs in [{}, {"atol": 1e-2}, {"rtol": 1e-2}, {"atol": 1e-5, "rtol": 1e-5},
                   {"hermitian": False}]:
        np.testing.assert_allclose(lamina.linalg.pinv(lamina.tensor(a), **kwargs).numpy(),
                                   torch.linalg.pinv(torch.tensor(a), **kwargs).numpy(),
                                   atol=1e-8)
        assert (lamina.linalg.matrix_rank(lamina.tensor(a), **kwargs).item()
                == torch.linalg.matrix_rank(torch.tensor(a), **kwargs).item())
    sym = a @ a.T
    for kwargs in [{}, {"atol": 1e-4}]:
        ours = lamina.linalg.matrix_rank(lamina.tensor(sym), hermitian=True, **kwargs)
        theirs = torch.linalg.matrix_rank(torch.tensor(sym), hermitian=True, **kwargs)
        assert ours.dtype == lamina.int64 and ours.item() == theirs.item()
        np.testing.assert_allclose(
            lamina.linalg.pinv(lamina.tensor(sym), hermitian=True, **kwargs).numpy(),
            torch.linalg.pinv(torch.tensor(sym), hermitian=True, **kwargs).numpy(), atol=1e-6)
    batch = np.stack([a, _x((4, 3))])
    assert (lamina.linalg.matrix_rank(lamina.tensor(batch)).tolist()
            == torch.linalg.matrix_rank(torch.tensor(batch)).tolist() == [2, 3])


def test_lstsq_rank_deficient_gives_minimum_norm_solution():
    a = _x((5, 2)) @ _x((2, 3), seed=1)
    b = _x((5, 2), seed=2)
    ours = lamina.linalg.lstsq(lamina.tensor(a), lamina.tensor(b))
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b))
    assert ours.rank.item() == theirs.rank.item() == 2
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), atol=1e-10)


def test_matrix_power_zero_is_identity_with_zero_gradient():
    for requires_grad in (True, False):
        a = _x((2, 3, 3))
        a[0, 0, 0] = np.inf
        ours_in = lamina.tensor(a, requires_grad=requires_grad)
        theirs_in = torch.tensor(a, requires_grad=requires_grad)
        out = lamina.linalg.matrix_power(ours_in, 0)
        theirs = torch.linalg.matrix_power(theirs_in, 0)
        assert out.requires_grad == theirs.requires_grad == requires_grad
        np.testing.assert_array_equal(out.numpy(force=True), theirs.numpy(force=True))
        if requires_grad:
            out.sum().backward()
            theirs.sum().backward()
            np.testing.assert_array_equal(ours_in.grad.numpy(), theirs_in.grad.numpy())


def test_top_level_cross_picks_first_dim_of_size_three():
    a, b = _x((2, 3, 3)), _x((2, 3, 3), seed=1)
    for dim in (None, 2, -2):
        np.testing.assert_allclose(
            matrix_functions.torch_cross(lamina.tensor(a), lamina.tensor(b), dim=dim).numpy(),
            torch.cross(torch.tensor(a), torch.tensor(b), dim=dim).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, args", [
    ("cross", [np.ones(4), np.ones(4)]),
    ("cross", [np.ones((2, 1, 3)), np.ones((4, 3))]),
    ("cholesky", [np.ones((2, 3))]),
    ("eigh", [np.ones(3)]),
    ("slogdet", [np.ones((2, 3))]),
])
def test_errors_have_torch_types(name, args):
    with pytest.raises(RuntimeError):
        getattr(torch.linalg, name)(*[torch.tensor(a) for a in args])
    with pytest.raises(RuntimeError):
        getattr(lamina.linalg, name)(*[lamina.tensor(a) for a in args])


def test_solve_triangular_with_zero_pivot_gives_inf_like_torch():
    a = np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [1.0, 3.0, 2.0]])
    b = _x((2, 3, 2))
    for upper, matrix in ((False, a), (True, a.T.copy())):
        ours = lamina.linalg.solve_triangular(lamina.tensor(matrix), lamina.tensor(b),
                                              upper=upper).numpy()
        theirs = torch.linalg.solve_triangular(torch.tensor(matrix), torch.tensor(b),
                                               upper=upper).numpy()
        assert np.isinf(ours).any()
        np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs))
        np.testing.assert_allclose(ours[np.isfinite(ours)], theirs[np.isfinite(theirs)],
                                   rtol=1e-12)
    # the substitution fallback agrees with torch on a regular system too
    from lamina._ops.decompositions import _substitute

    regular = _well_conditioned((2, 3, 3))
    for upper in (False, True):
        triangle = np.triu(regular) if upper else np.tril(regular)
        np.testing.assert_allclose(
            _substitute(triangle, b[:1], upper),
            torch.linalg.solve_triangular(torch.tensor(triangle), torch.tensor(b[:1]),
                                          upper=upper).numpy(), rtol=1e-12)


def test_multi_dot_needs_two_tensors():
    for lib in (torch, lamina):
        with pytest.raises(RuntimeError):
            lib.linalg.multi_dot([lib.ones(2, 2)])


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_general_eigenproblem_says_complex_is_missing(name):
    with pytest.raises(NotImplementedError, match="complex"):
        getattr(lamina.linalg, name)(lamina.ones(2, 2))


def test_grad_fn_names_match_torch():
    calls = [lambda lib, A: lib.linalg.cholesky(A), lambda lib, A: lib.linalg.slogdet(A)[1],
             lambda lib, A: lib.linalg.eigh(A)[0], lambda lib, A: lib.linalg.qr(A)[0],
             lambda lib, A: lib.linalg.pinv(A),
             lambda lib, A: lib.linalg.solve_triangular(A, A, upper=True)]
    spd = _spd((3, 3))
    for call in calls:
        ours = call(lamina, lamina.tensor(spd, requires_grad=True)).grad_fn.name()
        assert ours == call(torch, torch.tensor(spd, requires_grad=True)).grad_fn.name()
