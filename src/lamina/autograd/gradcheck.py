"""gradcheck: compare autograd's gradients with central finite differences in float64."""

from __future__ import annotations

import warnings

import numpy as np


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, **unused) -> bool:
    """True if autograd's gradients of `func` at `inputs` match central finite differences.

    Inputs that require grad should be float64, as in torch. Rather than build the whole
    Jacobian J, each output is projected on a fixed random vector v and J^T v is compared
    with the finite differences of <func(x), v>: a wrong Jacobian entry changes J^T v for
    almost every v, and it costs one backward instead of one per output element.
    """
    from lamina._tensor import Tensor, _wrap
    from lamina.autograd import grad as autograd_grad
    from lamina.autograd.grad_mode import no_grad

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    if any(t._array.dtype != np.float64 for t in wrt):
        warnings.warn("gradcheck: an input is not float64, so finite differences will be noisy. "
                      "Hint: pass inputs built with dtype=lamina.float64.")

    def tensors_of(result):
        return [result] if isinstance(result, Tensor) else [
            r for r in result if isinstance(r, Tensor)]

    first = tensors_of(func(*inputs))
    differentiable = [i for i, o in enumerate(first) if o.requires_grad]
    rng = np.random.default_rng(0)
    projections = {
        i: rng.standard_normal(first[i]._array.shape).astype(first[i]._array.dtype)
        for i in differentiable
    }

    def projected(result) -> float:
        outputs = tensors_of(result)
        return sum(float(np.sum(outputs[i]._array * v)) for i, v in projections.items())

    if differentiable:
        analytical = autograd_grad([first[i] for i in differentiable], wrt,
                                   [_wrap(projections[i]) for i in differentiable],
                                   allow_unused=True)
    else:
        analytical = [None] * len(wrt)

    for position, (t, analytic) in enumerate(zip(wrt, analytical)):
        array = t._array
        numeric = np.zeros(array.shape, dtype=np.float64)
        with no_grad():
            for index in np.ndindex(array.shape):
                original = array[index]
                array[index] = original + eps
                plus = projected(func(*inputs))
                array[index] = original - eps
                minus = projected(func(*inputs))
                array[index] = original
                numeric[index] = (plus - minus) / (2 * eps)
        got = np.zeros_like(numeric) if analytic is None else analytic._array.astype(np.float64)
        if not np.allclose(got, numeric, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            worst = np.unravel_index(np.argmax(np.abs(got - numeric)), numeric.shape)
            raise GradcheckError(
                f"gradcheck: Jacobian mismatch for input {position} of shape {tuple(t.shape)}: "
                f"at index {tuple(int(i) for i in worst)} the analytical gradient is "
                f"{got[worst]!r} but the numerical one is {numeric[worst]!r}\n"
                f"numerical:\n{numeric}\nanalytical:\n{got}"
            )
    return True
