"""lamina.utils: data loading (lamina.utils.data), as in torch.utils."""

from lamina.utils import data  # noqa: F401
