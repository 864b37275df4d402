"""lamina.distributions: probability distributions with torch.distributions' API.

Parameters are lamina tensors, so log_prob, entropy, rsample and kl_divergence are
differentiable with respect to them. Sampling uses lamina's default generator.

`import lamina` imports only this file: the classes load on first use (PEP 562 module
`__getattr__`), which keeps the package's share of lamina's import time under 1 ms where
importing its modules up front cost several.
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it, as in torch.distributions
_HOMES = {
    "Bernoulli": "bernoulli",
    "Beta": "beta",
    "Categorical": "categorical",
    "Distribution": "distribution",
    "Exponential": "exponential",
    "ExponentialFamily": "exp_family",
    "Independent": "independent",
    "Laplace": "laplace",
    "MultivariateNormal": "multivariate_normal",
    "Normal": "normal",
    "OneHotCategorical": "one_hot_categorical",
    "OneHotCategoricalStraightThrough": "one_hot_categorical",
    "Uniform": "uniform",
    "kl_divergence": "kl",
    "register_kl": "kl",
}
_SUBMODULES = {"bernoulli", "beta", "categorical", "constraints", "distribution", "exp_family",
               "exponential", "independent", "kl", "laplace", "multivariate_normal", "normal",
               "one_hot_categorical", "uniform", "utils"}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later reads find it directly
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES) | _SUBMODULES)
