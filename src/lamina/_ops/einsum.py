"""einsum: NumPy's einsum on explicit subscripts, with a backward built from einsums too.

The equation is first rewritten with '...' spelled out as letters and the implicit output
made explicit, so the gradient of each operand is an einsum of the output's gradient with the
other operands; letters an operand alone sums over, repeated letters (diagonals) and size-1
dims that broadcast are then handled explicitly.
"""

from __future__ import annotations

import string

import numpy as np

from lamina._tensor import Tensor
from lamina.autograd.function import Primitive

_LETTERS = string.ascii_letters


def _explicit(equation: str, shapes) -> tuple[list[str], str]:
    """Each operand's subscripts and the output's, with '...' spelled out as letters and the
    implicit output (no '->') made explicit, so backward can build its own equations."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(
            f"einsum(): the equation {equation!r} names {len(terms)} operands but "
            f"{len(shapes)} were given"
        )
    used = set(equation)
    spare = [c for c in _LETTERS if c not in used]
    widths = []
    for term, operand_shape in zip(terms, shapes):
        letters = len(term.replace("...", ""))
        if "..." not in term and letters != len(operand_shape):
            raise RuntimeError(
                f"einsum(): the subscripts {term!r} name {letters} dimensions for an operand "
                f"of shape {tuple(operand_shape)}"
            )
        widths.append(len(operand_shape) - letters if "..." in term else 0)
    ellipsis = "".join(spare[:max(widths, default=0)])
    subscripts = [
        term.replace("...", ellipsis[len(ellipsis) - width:] if width else "")
        for term, width in zip(terms, widths)
    ]
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = {}
        for term in subscripts:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        output = ellipsis + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis))
    return subscripts, output


class Einsum(Primitive):
    """np.einsum on explicit subscripts; the gradient of each operand is an einsum of the
    output's gradient with the other operands."""

    @staticmethod
    def forward(ctx, subscripts, output, *arrays):
        ctx.subscripts, ctx.output = subscripts, output
        ctx.save_for_backward(*arrays)
        return np.einsum(f"{','.join(subscripts)}->{output}", *arrays,
                         optimize=len(arrays) > 2)

    @staticmethod
    def backward(ctx, grad):
        arrays = ctx.saved_tensors
        grads = [None, None]
        for position, need in enumerate(ctx.needs_input_grad[2:]):
            grads.append(_einsum_operand_grad(grad, ctx.output, ctx.subscripts, arrays,
                                              position) if need else None)
        return tuple(grads)


def _einsum_operand_grad(grad, output, subscripts, arrays, position):
    target, target_shape = subscripts[position], arrays[position].shape
    others = [(s, a) for i, (s, a) in enumerate(zip(subscripts, arrays)) if i != position]
    reachable = set(output).union(*(s for s, _ in others))
    letters = list(dict.fromkeys(target))  # repeated letters (a diagonal) appear once
    kept = "".join(c for c in letters if c in reachable)
    terms = [output] + [s for s, _ in others]
    partial = np.einsum(f"{','.join(terms)}->{kept}", grad, *[a for _, a in others],
                        optimize=len(others) > 1)
    sizes = {c: target_shape[target.index(c)] for c in letters}
    # a dim of size 1 that broadcast against a longer one receives the sum over it
    shrink = tuple(i for i, c in enumerate(kept) if sizes[c] == 1 and partial.shape[i] != 1)
    if shrink:
        partial = partial.sum(axis=shrink, keepdims=True)
    # letters summed within this operand alone: each of their entries gets the same gradient
    partial = partial.reshape([partial.shape[kept.index(c)] if c in kept else 1
                               for c in letters])
    partial = np.broadcast_to(partial, [sizes[c] for c in letters])
    if len(letters) == len(target):
        return np.ascontiguousarray(partial)
    # repeated letters: the gradient lives on that diagonal, zeros elsewhere
    out = np.zeros(target_shape, dtype=grad.dtype)
    np.einsum(f"{target}->{''.join(letters)}", out)[...] = partial
    return out


def einsum(equation, *operands):
    """Sums of products over the indices named by an Einstein-summation equation.

    Operands may also be passed as one list, as in torch. Supports '...' and the implicit
    output form (letters used once, in alphabetical order).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, not {type(equation).__name__}")
    for o in operands:
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): operands must be tensors, got {type(o).__name__}")
    dtypes = {o._array.dtype for o in operands}
    if len(dtypes) > 1:
        raise RuntimeError(
            f"einsum(): expected all operands to have the same dtype, got "
            f"{', '.join(str(o.dtype) for o in operands)}. Hint: convert them with .to()."
        )
    subscripts, output = _explicit(equation, [o._array.shape for o in operands])
    try:
        return Einsum.apply(subscripts, output, *operands)
    except ValueError as error:
        shapes = ", ".join(str(tuple(o.shape)) for o in operands)
        raise RuntimeError(f"einsum(): {equation!r} on shapes {shapes}: {error}") from None
