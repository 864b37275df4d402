"""lamina.testing.assert_close against torch.testing.assert_close: verdicts and messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lamina

PAIRS = [
    ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], np.float32),
    ([1.0, 2.0, 3.0], [1.0, 2.0 + 1e-6, 3.0], np.float32),
    ([1.0, 2.0], [1.0, 2.0 + 1e-9], np.float64),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.1, 4.2]], np.float64),
    ([1, 2], [1, 3], np.int64),
    ([1, 2], [1, 2], np.int64),
    ([1.0, np.nan], [1.0, np.nan], np.float32),
    ([np.inf, 1.0], [np.inf, 1.0], np.float32),
    (1.0, 1.5, np.float32),
    (2.0, 2.0, np.float64),
]


def _outcome(library, actual, expected, **kwargs):
    try:
        library.testing.assert_close(actual, expected, **kwargs)
    except AssertionError as error:
        return str(error).replace("torch", "lamina")
    return None


@pytest.mark.parametrize("actual, expected, dtype", PAIRS)
def test_verdict_and_message_match_torch(actual, expected, dtype):
    a, e = np.array(actual, dtype), np.array(expected, dtype)
    theirs = _outcome(torch, torch.tensor(a), torch.tensor(e))
    ours = _outcome(lamina, lamina.tensor(a), lamina.tensor(e))
    assert ours == theirs


def test_python_scalars_and_sequences():
    assert _outcome(lamina, 1.0, 1.1) == _outcome(torch, 1.0, 1.1)
    assert _outcome(lamina, 1.0, 1.0 + 1e-9) is None
    pair = ([lamina.ones(2), lamina.zeros(1)], [lamina.ones(2), lamina.ones(1)])
    assert _outcome(lamina, *pair) == _outcome(torch, [torch.ones(2), torch.zeros(1)],
                                               [torch.ones(2), torch.ones(1)])
    assert _outcome(lamina, {"a": lamina.ones(1)}, {"a": lamina.ones(1)}) is None


def test_tolerance_arguments():
    a, e = np.array([1.0, 2.0], np.float32), np.array([1.0, 2.1], np.float32)
    for kwargs in ({"rtol": 0.1, "atol": 0.0}, {"rtol": 0.0, "atol": 0.01}):
        assert (_outcome(lamina, lamina.tensor(a), lamina.tensor(e), **kwargs)
                == _outcome(torch, torch.tensor(a), torch.tensor(e), **kwargs))
    with pytest.raises(ValueError):
        lamina.testing.assert_close(lamina.ones(1), lamina.ones(1), rtol=0.1)
    nan = np.array([np.nan], np.float32)
    assert _outcome(lamina, lamina.tensor(nan), lamina.tensor(nan), equal_nan=True) is None


def test_shape_and_dtype_mismatch():
    assert (_outcome(lamina, lamina.ones(2), lamina.ones(3))
            == _outcome(torch, torch.ones(2), torch.ones(3)))
    assert (_outcome(lamina, lamina.ones(1), lamina.ones(1, dtype=lamina.float64))
            == _outcome(torch, torch.ones(1), torch.ones(1, dtype=torch.float64)))
    assert _outcome(lamina, lamina.ones(1), lamina.ones(1, dtype=lamina.float64),
                    check_dtype=False) is None


def test_msg_replaces_or_edits_the_message():
    assert _outcome(lamina, lamina.ones(1), lamina.zeros(1), msg="custom") == "custom"
    edited = _outcome(lamina, lamina.ones(1), lamina.zeros(1), msg=lambda text: "x" + text)
    assert edited.startswith("xTensor-likes are not close!")


def test_ndarrays_and_numpy_scalars_as_torch_treats_them():
    for pair in ((np.array([1.0, 2.0]), np.array([1.0, 2.5])),
                 (np.float32(1.0), np.float32(2.0)), (np.float32(1.0), np.float32(1.0 + 1e-6))):
        assert _outcome(lamina, *pair) == _outcome(torch, *pair)
