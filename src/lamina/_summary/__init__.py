"""The torchinfo-style model table: `lamina.summary(model, input_size=...)`."""

from lamina._summary.statistics import ModelStatistics
from lamina._summary.summary import clear_cached_forward_pass, summary

__all__ = ["ModelStatistics", "clear_cached_forward_pass", "summary"]
