"""The public reductions and joins, accepting NumPy's `axis=`/`keepdims=` (see `_keywords`).

Internal callers use `_ops.reduce` and `_ops.join` directly and skip the wrapper.
torch.norm and Tensor.norm are left out on purpose: torch rejects `axis=` there.
"""

from __future__ import annotations

from lamina._ops import join, reduce
from lamina._ops._keywords import numpy_keywords

# the public functions (lamina.sum, ...); lamina/__init__.py exports these
all = numpy_keywords(reduce.all)
amax = numpy_keywords(reduce.amax)
amin = numpy_keywords(reduce.amin)
any = numpy_keywords(reduce.any)
argmax = numpy_keywords(reduce.argmax)
argmin = numpy_keywords(reduce.argmin)
count_nonzero = numpy_keywords(reduce.count_nonzero)
cumsum = numpy_keywords(reduce.cumsum)
logsumexp = numpy_keywords(reduce.logsumexp)
max = numpy_keywords(reduce.max)
mean = numpy_keywords(reduce.mean)
min = numpy_keywords(reduce.min)
prod = numpy_keywords(reduce.prod)
std = numpy_keywords(reduce.std)
std_mean = numpy_keywords(reduce.std_mean)
sum = numpy_keywords(reduce.sum)
var = numpy_keywords(reduce.var)
var_mean = numpy_keywords(reduce.var_mean)
cat = concat = concatenate = numpy_keywords(join.cat)
stack = numpy_keywords(join.stack)
