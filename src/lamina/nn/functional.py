"""lamina.nn.functional: the maths behind every layer, callable on its own like torch's F.

Each family lives in its own private module; this file only re-exports them.
"""
from lamina.nn._functional.normalization import (  # noqa: F401,E402
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
)
