"""lamina.nn: modules, containers, layers and losses with torch.nn's names."""

from lamina.nn.modules.container import (  # noqa: F401
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from lamina.nn.modules.module import Module  # noqa: F401
from lamina.nn.parameter import Parameter  # noqa: F401

# Layers: one import line per module file, appended below by their authors.
