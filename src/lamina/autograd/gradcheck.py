"""gradcheck: compare autograd's gradients with central finite differences in float64."""

from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True) -> bool:
    """True if autograd's gradient of `func` at `inputs` matches finite differences.

    Inputs that require grad should be float64 (as in torch); every output is checked by
    summing it against a random projection.
    """
    from lamina._tensor import Tensor, _wrap
    from lamina.autograd import grad as autograd_grad
    from lamina.autograd.grad_mode import no_grad

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for t in wrt:
        if t._array.dtype != np.float64:
            import warnings

            warnings.warn("gradcheck: input is not float64; finite differences will be noisy")

    def outputs_of(result):
        return (result,) if isinstance(result, Tensor) else tuple(
            r for r in result if isinstance(r, Tensor))

    outputs = [o for o in outputs_of(func(*inputs)) if o.requires_grad]
    rng = np.random.default_rng(0)
    projections = [rng.standard_normal(o._array.shape).astype(o._array.dtype) for o in outputs]

    def scalar(result):
        return sum(float(np.sum(o._array * p)) for o, p in zip(
            [o for o in outputs_of(result) if o._array.dtype.kind == "f"], projections))

    if outputs:
        analytical = autograd_grad(outputs, wrt, [_wrap(p) for p in projections],
                                   allow_unused=True)
    else:
        analytical = [None] * len(wrt)
    for t, analytic in zip(wrt, analytical):
        numeric = np.zeros(t._array.shape, dtype=np.float64)
        flat = t._array.reshape(-1)
        numeric_flat = numeric.reshape(-1)
        with no_grad():
            for i in range(flat.size):
                original = flat[i]
                flat[i] = original + eps
                plus = scalar(func(*inputs))
                flat[i] = original - eps
                minus = scalar(func(*inputs))
                flat[i] = original
                numeric_flat[i] = (plus - minus) / (2 * eps)
        got = np.zeros_like(numeric) if analytic is None else analytic._array.astype(np.float64)
        if not np.allclose(got, numeric, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            worst = np.unravel_index(np.argmax(np.abs(got - numeric)), numeric.shape)
            raise GradcheckError(
                f"Jacobian mismatch for an input of shape {tuple(t.shape)}: at index "
                f"{tuple(int(i) for i in worst)} analytical {got[worst]!r} vs numerical "
                f"{numeric[worst]!r}\nnumerical:\n{numeric}\nanalytical:\n{got}"
            )
    return True
