"""torch's top-level matrix functions (torch.det, logdet, inverse, cholesky, qr, slogdet,
matrix_power, pinverse, cholesky_solve) and their Tensor methods, against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from tests.helpers import compare_with_torch

import lamina

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 3))
SPD = A @ np.swapaxes(A, -1, -2) + 3 * np.eye(3)
NEGATIVE = np.diag([-1.0, 2.0, 3.0])[None].repeat(2, 0)  # det < 0: logdet is nan

CASES = {
    "det": (lambda lib, x: lib.det(x), A),
    "logdet": (lambda lib, x: lib.logdet(x), SPD),
    "logdet negative": (lambda lib, x: lib.logdet(x), NEGATIVE),
    "inverse": (lambda lib, x: x.inverse(), A),
    "cholesky": (lambda lib, x: lib.cholesky(x), SPD),
    "cholesky upper": (lambda lib, x: x.cholesky(upper=True), SPD),
    "slogdet": (lambda lib, x: lib.slogdet(x)[1] * lib.slogdet(x)[0], A),
    "matrix_power": (lambda lib, x: lib.matrix_power(x, 3), A),
    "matrix_power method": (lambda lib, x: x.matrix_power(-2), A),
    "pinverse": (lambda lib, x: lib.pinverse(x), A),
    "qr R": (lambda lib, x: lib.qr(x).R.abs(), A),
    "det method": (lambda lib, x: x.det() + x.logdet().nan_to_num(), SPD),
    "cholesky_solve": (lambda lib, x: lib.cholesky_solve(x, lib.linalg.cholesky(x)), SPD),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(name, dtype):
    function, data = CASES[name]
    tolerance = {} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates torch.qr and torch.cholesky
        compare_with_torch(lambda x: function(lamina, x), lambda x: function(torch, x),
                           data.astype(dtype), **tolerance)


def test_qr_some_false_is_complete_and_names_its_fields():
    x = lamina.tensor(RNG.standard_normal((4, 2)))
    q, r = lamina.qr(x, some=False)
    assert q.shape == (4, 4) and r.shape == (4, 2)
    assert lamina.qr(x).Q.shape == (4, 2)
    np.testing.assert_allclose((q @ r).numpy(), x.numpy(), atol=1e-12)
