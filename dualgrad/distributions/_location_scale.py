"""The shared shape of the location-scale families (Normal, Laplace, Cauchy): parameters
``loc`` and ``scale`` broadcast together, torch's constraints, and ``expand``."""

from __future__ import annotations

import numbers

from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LocationScale"]


class LocationScale(Distribution):
    """A distribution of ``loc + scale * Z`` for a fixed standard law of Z; subclasses give the
    densities and moments. The batch shape is the broadcast shape of ``loc`` and ``scale``
    (``()`` when both are numbers, as torch's)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        scalars = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(Size() if scalars else self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        # the family is the class right under LocationScale: a user's subclass with its own
        # __init__ must define its own expand, as torch requires
        family = next(c for c in type(self).__mro__ if LocationScale in c.__bases__)
        return self._expand_params(family, batch_shape, ("loc", "scale"), _instance=_instance)

    @property
    def mode(self):
        return self.loc
