"""lamina.onnx.export: an ONNX file from the ops one forward pass runs.

Export traces: it installs a hook at the single op dispatch point (`Function.apply`), runs the
model once on the example inputs, and turns every recorded primitive into ONNX nodes
(`lamina.onnx._translate`). Tensors the trace never produced (weights, buffers, constants)
become initializers. Needs the optional `onnx` package (`pip install 'lamina[onnx]'`).
"""

from __future__ import annotations

from lamina.onnx._trace import export
from lamina.onnx._translate import UnsupportedOperatorError

__all__ = ["export", "UnsupportedOperatorError"]
