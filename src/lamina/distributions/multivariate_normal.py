"""MultivariateNormal: the Gaussian over vectors, from a covariance, precision or Cholesky
factor of the covariance."""

from __future__ import annotations

import math

import numpy as np

import lamina
from lamina._tensor import Size, Tensor
from lamina.distributions import constraints
from lamina.distributions._linalg import cholesky
from lamina.distributions.distribution import Distribution
from lamina.distributions.utils import lazy_property

__all__ = ["MultivariateNormal"]


def batch_mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """|L^-1 x|^2 over the last dimension, with L's and x's batch dimensions broadcast."""
    n = x.shape[-1]
    batch = np.broadcast_shapes(tuple(scale_tril.shape[:-2]), tuple(x.shape[:-1]))
    whitened = lamina.linalg.solve(scale_tril.expand(batch + (n, n)),
                                   x.expand(batch + (n,)).unsqueeze(-1))
    return whitened.squeeze(-1).pow(2).sum(-1)


def _half_log_det(scale_tril: Tensor) -> Tensor:
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    # torch's route: the Cholesky factor of P with rows and columns reversed gives L^-1
    # without forming the covariance, then one solve
    flipped = cholesky(lamina.flip(precision, (-2, -1)))
    inverse = lamina.flip(flipped, (-2, -1)).mT
    identity = lamina.eye(precision.shape[-1], dtype=precision.dtype)
    return lamina.linalg.solve(inverse, identity.expand(tuple(inverse.shape)))


class MultivariateNormal(Distribution):
    """N(loc, Sigma) over vectors of length n (the event shape), given exactly one of
    covariance_matrix, precision_matrix or scale_tril (lower triangular L, Sigma = L L^T)."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix=None, precision_matrix=None,
                 scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(name, value) for name, value in (("covariance_matrix", covariance_matrix),
                                                    ("precision_matrix", precision_matrix),
                                                    ("scale_tril", scale_tril))
                 if value is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            raise ValueError(f"{name} must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        try:
            batch_shape = Size(np.broadcast_shapes(tuple(matrix.shape[:-2]),
                                                   tuple(loc.shape[:-1])))
        except ValueError:
            raise RuntimeError(
                f"MultivariateNormal: the batch shapes of loc {tuple(loc.shape)} and {name} "
                f"{tuple(matrix.shape)} do not broadcast"
            ) from None
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        matrix_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(batch_shape + self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(matrix_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> Size:
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        lower = self._unbroadcasted_scale_tril
        return lamina.matmul(lower, lower.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        lower = self._unbroadcasted_scale_tril
        return lamina.linalg.inv(lamina.matmul(lower, lower.mT)).expand(self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self._unbroadcasted_scale_tril.pow(2).sum(-1)
                .expand(self._batch_shape + self._event_shape))

    def rsample(self, sample_shape=()) -> Tensor:
        """loc + L eps with eps from lamina.randn (torch's stream after manual_seed)."""
        shape = self._extended_shape(sample_shape)
        eps = lamina.randn(shape, dtype=self.loc.dtype)
        return self.loc + lamina.matmul(self._unbroadcasted_scale_tril,
                                        eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        mahalanobis = batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return (-0.5 * (self._event_shape[0] * math.log(2 * math.pi) + mahalanobis)
                - _half_log_det(self._unbroadcasted_scale_tril))

    def entropy(self) -> Tensor:
        entropy = (0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi))
                   + _half_log_det(self._unbroadcasted_scale_tril))
        return entropy.expand(self._batch_shape) if len(self._batch_shape) else entropy
