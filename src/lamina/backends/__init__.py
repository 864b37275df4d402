"""lamina.backends: the switches GPU-first scripts set, accepted and recorded, with no effect.

lamina runs NumPy on the CPU: there is no cuDNN, MPS or CUDA build, so `cudnn.benchmark = False`
or `cudnn.deterministic = True` change nothing (lamina's results are deterministic anyway) and
the `is_available()` checks answer False, so `"mps" if ... else "cpu"` idioms pick the CPU.
"""

from lamina.backends import cuda, cudnn, mps  # noqa: F401
