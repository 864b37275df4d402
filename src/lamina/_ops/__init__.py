"""Differentiable primitives by family; each module is imported by lamina/__init__."""
