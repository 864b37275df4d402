"""nn.utils.clip_grad_norm: torch's deprecated spelling of clip_grad_norm_, with its warning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lamina


def test_deprecated_alias_warns_and_clips_like_torch():
    grads = np.array([[3.0, 4.0], [0.0, 12.0]], np.float32)
    results = []
    for library in (torch, lamina):
        parameter = library.nn.Parameter(library.zeros(2, 2))
        parameter.grad = library.tensor(grads)
        with pytest.warns(FutureWarning, match="clip_grad_norm_"):
            norm = library.nn.utils.clip_grad_norm([parameter], 1.0)
        results.append((norm.item(), parameter.grad.numpy().copy()))
    (theirs_norm, theirs_grad), (ours_norm, ours_grad) = results
    assert ours_norm == pytest.approx(theirs_norm)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-6)
