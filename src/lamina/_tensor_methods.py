"""Tensor's maths methods and operators: each one line, delegating to `lamina._ops`.

`_ops` submodules are looked up at call time because they import Tensor themselves.
"""

from __future__ import annotations

from lamina import _dtype, _ops
from lamina._ops._keywords import numpy_keywords


class TensorMethods:
    __slots__ = ()

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        return _ops.elementwise.add(self, other)

    def __radd__(self, other):
        return _ops.elementwise.add(other, self)

    def __sub__(self, other):
        return _ops.elementwise.sub(self, other)

    def __rsub__(self, other):
        return _ops.elementwise.sub(other, self)

    def __mul__(self, other):
        return _ops.elementwise.mul(self, other)

    def __rmul__(self, other):
        return _ops.elementwise.mul(other, self)

    def __truediv__(self, other):
        return _ops.elementwise.div(self, other)

    def __rtruediv__(self, other):
        return _ops.elementwise.div(other, self)

    def __floordiv__(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.elementwise.remainder(self, other)

    def __rmod__(self, other):
        return _ops.elementwise.remainder(other, self)

    def __pow__(self, other):
        return _ops.elementwise.pow(self, other)

    def __rpow__(self, other):
        return _ops.elementwise.pow(other, self)

    def __matmul__(self, other):
        if not isinstance(other, TensorMethods):
            # as torch: NumPy then computes `tensor @ ndarray` and __array_wrap__ makes it a
            # Tensor (torch.matmul itself still refuses an ndarray)
            return NotImplemented
        return _ops.linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.linalg.matmul(other, self)

    def __neg__(self):
        return _ops.elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.elementwise.abs(self)

    def __invert__(self):
        return _ops.elementwise.bitwise_not(self)

    def __and__(self, other):
        return _ops.elementwise.bitwise_and(self, other)

    def __or__(self, other):
        return _ops.elementwise.bitwise_or(self, other)

    def __xor__(self, other):
        return _ops.elementwise.bitwise_xor(self, other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    # As in torch, an operand eq/ne refuses makes == and != fall back to Python's identity
    # comparison: `mask == None` is False, `mask != None` True.
    def __eq__(self, other):
        try:
            return _ops.elementwise.eq(self, other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        try:
            return _ops.elementwise.ne(self, other)
        except TypeError:
            return NotImplemented

    def __lt__(self, other):
        return _ops.elementwise.lt(self, other)

    def __le__(self, other):
        return _ops.elementwise.le(self, other)

    def __gt__(self, other):
        return _ops.elementwise.gt(self, other)

    def __ge__(self, other):
        return _ops.elementwise.ge(self, other)

    def __getitem__(self, index):
        return _ops.index.getitem(self, index)

    # in-place operators: computed out of place, then written back (see Tensor._assign)
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ------------------------------------------------------------ elementwise methods
    def add(self, other, *, alpha=1):
        return _ops.elementwise.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.elementwise.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.elementwise.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ops.elementwise.div(self, other, rounding_mode=rounding_mode)

    subtract, multiply, divide, true_divide = sub, mul, div, div

    def pow(self, exponent):
        return _ops.elementwise.pow(self, exponent)

    def neg(self):
        return _ops.elementwise.neg(self)

    def exp(self):
        return _ops.elementwise.exp(self)

    def log(self):
        return _ops.elementwise.log(self)

    def log1p(self):
        return _ops.elementwise.log1p(self)

    def sqrt(self):
        return _ops.elementwise.sqrt(self)

    def rsqrt(self):
        return _ops.elementwise.rsqrt(self)

    def abs(self):
        return _ops.elementwise.abs(self)

    def sign(self):
        return _ops.elementwise.sign(self)

    def sin(self):
        return _ops.elementwise.sin(self)

    def cos(self):
        return _ops.elementwise.cos(self)

    def tanh(self):
        return _ops.elementwise.tanh(self)

    def sigmoid(self):
        return _ops.elementwise.sigmoid(self)

    def relu(self):
        return _ops.elementwise.relu(self)

    def reciprocal(self):
        return _ops.elementwise.reciprocal(self)

    def square(self):
        return _ops.elementwise.square(self)

    def floor(self):
        return _ops.elementwise.floor(self)

    def ceil(self):
        return _ops.elementwise.ceil(self)

    def round(self, *, decimals=0):
        return _ops.elementwise.round(self, decimals=decimals)

    def trunc(self):
        return _ops.elementwise.trunc(self)

    def frac(self):
        return _ops.elementwise.frac(self)

    def remainder(self, other):
        return _ops.elementwise.remainder(self, other)

    def fmod(self, other):
        return _ops.elementwise.fmod(self, other)

    def floor_divide(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def clamp_min(self, min):
        return _ops.elementwise.clamp_min(self, min)

    def clamp_max(self, max):
        return _ops.elementwise.clamp_max(self, max)

    def clamp(self, min=None, max=None):
        return _ops.elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ops.elementwise.maximum(self, other)

    def minimum(self, other):
        return _ops.elementwise.minimum(self, other)

    def where(self, condition, other):
        return _ops.elementwise.where(condition, self, other)

    def eq(self, other):
        return _ops.elementwise.eq(self, other)

    def ne(self, other):
        return _ops.elementwise.ne(self, other)

    def lt(self, other):
        return _ops.elementwise.lt(self, other)

    def le(self, other):
        return _ops.elementwise.le(self, other)

    def gt(self, other):
        return _ops.elementwise.gt(self, other)

    def ge(self, other):
        return _ops.elementwise.ge(self, other)

    def logical_not(self):
        return _ops.elementwise.logical_not(self)

    def isnan(self):
        return _ops.elementwise.isnan(self)

    def isinf(self):
        return _ops.elementwise.isinf(self)

    def isfinite(self):
        return _ops.elementwise.isfinite(self)

    def logical_and(self, other):
        return _ops.elementwise.logical_and(self, other)

    def logical_or(self, other):
        return _ops.elementwise.logical_or(self, other)

    def logical_xor(self, other):
        return _ops.elementwise.logical_xor(self, other)

    def equal(self, other):
        return _ops.elementwise.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.elementwise.allclose(self, other, rtol, atol, equal_nan)

    # ------------------------------------------------------------ in-place (optimizers use these)
    def add_(self, other, *, alpha=1):
        return _ops.inplace.add_(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _ops.inplace.sub_(self, other, alpha=alpha)

    def mul_(self, other):
        return _ops.inplace.mul_(self, other)

    def div_(self, other, *, rounding_mode=None):
        return _ops.inplace.div_(self, other, rounding_mode=rounding_mode)

    def pow_(self, exponent):
        return self._assign(_ops.elementwise.pow(self, exponent))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _ops.inplace.addcmul_(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _ops.inplace.addcdiv_(self, tensor1, tensor2, value=value)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + _ops.elementwise.mul(tensor1, tensor2) * value

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return self + _ops.elementwise.div(tensor1, tensor2) * value

    def clamp_(self, min=None, max=None):
        return _ops.inplace.clamp_(self, min, max)

    clip_ = clamp_

    def relu_(self):
        return self._assign(_ops.elementwise.relu(self))

    def sqrt_(self):
        return self._assign(_ops.elementwise.sqrt(self))

    def exp_(self):
        return self._assign(_ops.elementwise.exp(self))

    def neg_(self):
        return self._assign(_ops.elementwise.neg(self))

    def abs_(self):
        return self._assign(_ops.elementwise.abs(self))

    def sigmoid_(self):
        return self._assign(_ops.elementwise.sigmoid(self))

    def tanh_(self):
        return self._assign(_ops.elementwise.tanh(self))

    def _saved_copy(self):
        """self, or a copy when autograd would save it: the write-back below must not change
        what a gradient formula reads (torch keeps the original for these in-place ops too)."""
        return self.clone() if self.requires_grad else self

    def log_(self):
        return self._assign(_ops.elementwise.log(self._saved_copy()))

    def log1p_(self):
        return self._assign(_ops.elementwise.log1p(self._saved_copy()))

    def sin_(self):
        return self._assign(_ops.elementwise.sin(self._saved_copy()))

    def cos_(self):
        return self._assign(_ops.elementwise.cos(self._saved_copy()))

    def reciprocal_(self):
        return self._assign(_ops.elementwise.reciprocal(self))

    def square_(self):
        return self._assign(_ops.elementwise.square(self._saved_copy()))

    def floor_(self):
        return self._assign(_ops.elementwise.floor(self))

    def ceil_(self):
        return self._assign(_ops.elementwise.ceil(self))

    def trunc_(self):
        return self._assign(_ops.elementwise.trunc(self))

    def round_(self, *, decimals=0):
        return self._assign(_ops.elementwise.round(self, decimals=decimals))

    def masked_fill_(self, mask, value):
        return self._assign(_ops.index.masked_fill(self, mask, value))

    def fill_diagonal_(self, fill_value, wrap=False):
        return _ops.extra_math.fill_diagonal_(self, fill_value, wrap)

    def copy_(self, src, non_blocking=False):
        return _ops.inplace.copy_(self, src)

    def fill_(self, value):
        self._overwrite()
        if self.is_meta:  # no data to fill
            return self
        self._array[...] = value._array if isinstance(value, TensorMethods) else value
        self._vc[0] += 1
        return self

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from lamina.random import _fill

        return _fill(self, "uniform", a, b, generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from lamina.random import _fill

        return _fill(self, "normal", mean, std, generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        from lamina.random import _fill

        return _fill(self, "bernoulli", p, None, generator)

    def random_(self, low=0, high=None, *, generator=None):
        from lamina.random import _fill

        return _fill(self, "integers", low, high, generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        from lamina.random import _fill

        return _fill(self, "exponential", lambd, None, generator)

    # ------------------------------------------------------------ reductions
    @numpy_keywords
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.sum(self, dim, keepdim, dtype=dtype)

    @numpy_keywords
    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.mean(self, dim, keepdim, dtype=dtype)

    @numpy_keywords
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.reduce.var(self, dim, unbiased, keepdim, correction=correction)

    @numpy_keywords
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.reduce.std(self, dim, unbiased, keepdim, correction=correction)

    @numpy_keywords
    def max(self, dim=None, keepdim=False):
        return _ops.reduce.max(self, dim, keepdim)

    @numpy_keywords
    def min(self, dim=None, keepdim=False):
        return _ops.reduce.min(self, dim, keepdim)

    @numpy_keywords
    def amax(self, dim=(), keepdim=False):
        return _ops.reduce.amax(self, dim, keepdim)

    @numpy_keywords
    def amin(self, dim=(), keepdim=False):
        return _ops.reduce.amin(self, dim, keepdim)

    @numpy_keywords
    def argmax(self, dim=None, keepdim=False):
        return _ops.reduce.argmax(self, dim, keepdim)

    @numpy_keywords
    def argmin(self, dim=None, keepdim=False):
        return _ops.reduce.argmin(self, dim, keepdim)

    @numpy_keywords
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.prod(self, dim, keepdim, dtype=dtype)

    @numpy_keywords
    def cumsum(self, dim, *, dtype=None):
        return _ops.reduce.cumsum(self, dim, dtype=dtype)

    @numpy_keywords
    def logsumexp(self, dim, keepdim=False):
        return _ops.reduce.logsumexp(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        return _ops.softmax.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _ops.softmax.log_softmax(self, dim, dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _ops.reduce.norm(self, p, dim, keepdim, dtype)

    @numpy_keywords
    def all(self, dim=None, keepdim=False):
        return _ops.reduce.all(self, dim, keepdim)

    @numpy_keywords
    def any(self, dim=None, keepdim=False):
        return _ops.reduce.any(self, dim, keepdim)

    @numpy_keywords
    def count_nonzero(self, dim=None):
        return _ops.reduce.count_nonzero(self, dim)

    # ------------------------------------------------------------ linear algebra
    def matmul(self, other):
        return _ops.linalg.matmul(self, other)

    def mm(self, mat2):
        return _ops.linalg.mm(self, mat2)

    def bmm(self, mat2):
        return _ops.linalg.bmm(self, mat2)

    def mv(self, vec):
        return _ops.linalg.mv(self, vec)

    def dot(self, other):
        return _ops.linalg.dot(self, other)

    # ------------------------------------------------------------ shape
    def reshape(self, *shape):
        return _ops.shape.reshape(self, *shape)

    def view(self, *shape):
        return _ops.shape.view(self, *shape)

    def view_as(self, other):
        return _ops.shape.view(self, other._array.shape)

    def reshape_as(self, other):
        return _ops.shape.reshape(self, other._array.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.shape.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.shape.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return _ops.shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.shape.unsqueeze(self, dim)

    def permute(self, *dims):
        return _ops.shape.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return _ops.shape.transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def t(self):
        return _ops.shape.t(self)

    @property
    def T(self):
        return _ops.shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return _ops.shape.transpose(self, -2, -1)

    def movedim(self, source, destination):
        return _ops.shape.movedim(self, source, destination)

    def expand(self, *sizes):
        return _ops.shape.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.shape.expand_as(self, other)

    def repeat(self, *repeats):
        return _ops.shape.repeat(self, *repeats)

    def split(self, split_size, dim=0):
        return _ops.shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.shape.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _ops.shape.unbind(self, dim)

    def narrow(self, dim, start, length):
        return _ops.shape.narrow(self, dim, start, length)

    def flip(self, *dims):
        return _ops.shape.flip(self, dims[0] if len(dims) == 1 else dims)

    # ------------------------------------------------------------ indexing
    def gather(self, dim, index):
        return _ops.index.gather(self, dim, index)

    def scatter_add(self, dim, index, src):
        return _ops.index.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return self._assign(_ops.index.scatter_add(self, dim, index, src))

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _ops.index.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._assign(_ops.index.scatter(self, dim, index, src, value=value, reduce=reduce))

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.index.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._assign(_ops.index.index_add(self, dim, index, source, alpha=alpha))

    def masked_fill(self, mask, value):
        return _ops.index.masked_fill(self, mask, value)

    def index_select(self, dim, index):
        return _ops.index.index_select(self, dim, index)

    def masked_select(self, mask):
        return _ops.index.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _ops.index.nonzero(self, as_tuple=as_tuple)

    # ------------------------------------------------------------ sorting and selection
    def sort(self, dim=-1, descending=False, *, stable=False):
        return _ops.sorting.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return _ops.sorting.argsort(self, dim, descending, stable=stable)

    def msort(self):
        return _ops.sorting.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.sorting.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _ops.sorting.kthvalue(self, k, dim, keepdim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _ops.sorting.unique(self, sorted, return_inverse, return_counts, dim)

    # ------------------------------------------------------------ more maths (_ops.extra_math)
    def sinh(self):
        return _ops.extra_math.sinh(self)

    def cosh(self):
        return _ops.extra_math.cosh(self)

    def tan(self):
        return _ops.extra_math.tan(self)

    def asin(self):
        return _ops.extra_math.asin(self)

    def acos(self):
        return _ops.extra_math.acos(self)

    def atan(self):
        return _ops.extra_math.atan(self)

    def asinh(self):
        return _ops.extra_math.asinh(self)

    def acosh(self):
        return _ops.extra_math.acosh(self)

    def atanh(self):
        return _ops.extra_math.atanh(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def expm1(self):
        return _ops.extra_math.expm1(self)

    def median(self, dim=None, keepdim=False):
        return _ops.extra_math.median(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _ops.extra_math.mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _ops.extra_math.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def bincount(self, weights=None, minlength=0):
        return _ops.extra_math.bincount(self, weights, minlength)

    def tile(self, *dims):
        return _ops.extra_math.tile(self, dims[0] if len(dims) == 1 else dims)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _ops.extra_math.diff(self, n, dim, prepend, append)

    def dist(self, other, p=2):
        return _ops.extra_math.dist(self, other, p)

    def unfold(self, dimension, size, step):
        return _ops.extra_math.unfold(self, dimension, size, step)

    def t_(self):
        return _ops.extra_math.restride_(self, _ops.shape.t(self))

    def transpose_(self, dim0, dim1):
        return _ops.extra_math.restride_(self, _ops.shape.transpose(self, dim0, dim1))

    def unsqueeze_(self, dim):
        return _ops.extra_math.restride_(self, _ops.shape.unsqueeze(self, dim))

    def squeeze_(self, dim=None):
        return _ops.extra_math.restride_(self, _ops.shape.squeeze(self, dim))

    def byte(self):
        return self.to(_dtype.uint8)

    def char(self):
        return self.to(_dtype.int8)

    def short(self):
        return self.to(_dtype.int16)

    @property
    def itemsize(self):
        return self._array.itemsize

    @property
    def nbytes(self):
        return self._array.nbytes

    # ------------------------------------------------------------ misc (lamina._ops.misc)
    def tril(self, diagonal=0):
        return _ops.misc.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.misc.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return self._assign(_ops.misc.tril(self, diagonal))

    def triu_(self, diagonal=0):
        return self._assign(_ops.misc.triu(self, diagonal))

    def roll(self, shifts, dims=None):
        return _ops.misc.roll(self, shifts, dims)

    def cumprod(self, dim, *, dtype=None):
        return _ops.misc.cumprod(self, dim, dtype=dtype)

    def diag(self, diagonal=0):
        return _ops.misc.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _ops.misc.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return _ops.misc.trace(self)

    def outer(self, vec2):
        return _ops.misc.outer(self, vec2)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return _ops.misc.repeat_interleave(self, repeats, dim, output_size=output_size)

    def erf(self):
        return _ops.misc.erf(self)

    def log2(self):
        return _ops.misc.log2(self)

    def log10(self):
        return _ops.misc.log10(self)

    def exp2(self):
        return _ops.misc.exp2(self)

    def atan2(self, other):
        return _ops.misc.atan2(self, other)

    arctan2 = atan2

    def lerp(self, end, weight):
        return _ops.misc.lerp(self, end, weight)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _ops.misc.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.misc.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # ------------------------------------------------------------ lamina._ops.more_math, more_shape
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _ops.more_math.nan_to_num(self, nan, posinf, neginf)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.more_math.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.more_math.nanmean(self, dim, keepdim, dtype=dtype)

    def logaddexp(self, other):
        return _ops.more_math.logaddexp(self, other)

    def hypot(self, other):
        return _ops.more_math.hypot(self, other)

    def heaviside(self, values):
        return _ops.more_math.heaviside(self, values)

    def signbit(self):
        return _ops.more_math.signbit(self)

    def cummax(self, dim):
        return _ops.more_math.cummax(self, dim)

    def cummin(self, dim):
        return _ops.more_math.cummin(self, dim)

    def logcumsumexp(self, dim):
        return _ops.more_math.logcumsumexp(self, dim)

    def histc(self, bins=100, min=0, max=0):
        return _ops.more_math.histc(self, bins, min, max)

    def tensor_split(self, indices_or_sections, dim=0):
        return _ops.more_shape.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return _ops.more_shape.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return _ops.more_shape.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return _ops.more_shape.dsplit(self, indices_or_sections)

    def ravel(self):
        return _ops.more_shape.ravel(self)

    def rot90(self, k=1, dims=(0, 1)):
        return _ops.more_shape.rot90(self, k, dims)

    def take_along_dim(self, indices, dim=None):
        return _ops.more_shape.take_along_dim(self, indices, dim)

    # ------------------------------------------------------------ lamina.special
    def erfc(self):
        return _ops.special_math.erfc(self)

    def erfinv(self):
        return _ops.special_math.erfinv(self)

    def lgamma(self):
        return _ops.special_math.lgamma(self)

    def digamma(self):
        return _ops.special_math.digamma(self)

    def xlogy(self, other):
        return _ops.special_math.xlogy(self, other)

    def i0(self):
        return _ops.special_math.i0(self)

    def sinc(self):
        return _ops.special_math.sinc(self)

    def logit(self, eps=None):
        return _ops.special_math.logit(self, eps)

    # ------------------------------------------------------------ lamina._ops.more_products
    def cross(self, other, dim=None):
        return _ops.more_products.cross(self, other, dim)

    def kron(self, other):
        return _ops.more_products.kron(self, other)

    # ------------------------------------------------------------ lamina._ops.matrix_shortcuts
    def det(self):
        return _ops.matrix_shortcuts.det(self)

    def logdet(self):
        return _ops.matrix_shortcuts.logdet(self)

    def inverse(self):
        return _ops.matrix_shortcuts.inverse(self)

    def cholesky(self, upper=False):
        return _ops.matrix_shortcuts.cholesky(self, upper)

    def qr(self, some=True):
        return _ops.matrix_shortcuts.qr(self, some)

    def slogdet(self):
        return _ops.matrix_shortcuts.slogdet(self)

    def matrix_power(self, n):
        return _ops.matrix_shortcuts.matrix_power(self, n)

    def pinverse(self, rcond=1e-15):
        return _ops.matrix_shortcuts.pinverse(self, rcond)
