"""Taylor mode: ``jet`` (jax.experimental.jet's API) and the collapsed ``laplacian``.

The level that does the work is ``_taylor.level.TaylorLevel`` (NOTE: [Taylor representation],
NOTE: [collapsed Taylor mode] there).
"""

from __future__ import annotations

import numpy as np

from .. import _levels, _vmap_level
from .._batching import BatchedTensor
from .._taylor.level import series_call
from .._taylor.rules import zero_like
from .._tensor import Tensor
from ._pytree import tree_flatten, tree_unflatten


def jet(fun, primals, series):
    """Taylor mode: the derivative coefficients of ``fun`` along a curve through ``primals``.

    ``series[i]`` is the list of the K derivative coefficients of input i (x_1, ..., x_K of
    x(t) = x_0 + sum_k x_k t^k / k!, each with the structure of ``primals[i]``); the result is
    ``(primal_out, series_out)``, where each leaf of ``series_out`` is the list of y_1, ..., y_K
    for y(t) = fun(x(t)): y_k = d^k y / dt^k at t = 0 (jax.experimental.jet's scaling).

    >>> import dualgrad as dg
    >>> from dualgrad.func import jet
    >>> x = dg.tensor(0.5, dtype=dg.float64)
    >>> y, (y1, y2) = jet(dg.sin, (x,), ((dg.ones_like(x), dg.zeros_like(x)),))
    >>> bool(dg.allclose(y2, -dg.sin(x)))
    True
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError("jet: primals and series must be tuples (one entry per argument of fun)")
    if len(primals) != len(series):
        raise ValueError(
            f"jet: {len(primals)} primals but {len(series)} series; give one list of "
            "coefficients per primal"
        )
    orders = {len(s) for s in series}
    if len(orders) > 1:
        raise ValueError("jet terms have inconsistent lengths for different arguments")
    order = orders.pop() if orders else 0
    flat_primals, flat_series, specs = [], [], []
    for i, (p, terms) in enumerate(zip(primals, series)):
        leaves, spec = tree_flatten(p)
        specs.append(spec)
        per_term = []
        for k, term in enumerate(terms):
            term_leaves, term_spec = tree_flatten(term)
            if term_spec != spec and not (len(term_leaves) == len(leaves)):
                raise ValueError(
                    f"jet: coefficient {k + 1} of argument {i} does not have the structure "
                    "of its primal"
                )
            per_term.append(term_leaves)
        for j, leaf in enumerate(leaves):
            _check_leaf(leaf, i)
            coeffs = []
            for k in range(order):
                c = per_term[k][j]
                _check_leaf(c, i)
                if tuple(c.shape) != tuple(leaf.shape):
                    raise ValueError(
                        f"jet: coefficient {k + 1} of argument {i} has shape {tuple(c.shape)}, "
                        f"its primal {tuple(leaf.shape)}"
                    )
                coeffs.append(c)
            flat_primals.append(leaf)
            flat_series.append(tuple(coeffs))
    n_leaves = [len(tree_flatten(p)[0]) for p in primals]

    def flat_fun(*leaves):
        args, start = [], 0
        for spec, n in zip(specs, n_leaves):
            args.append(tree_unflatten(spec, leaves[start : start + n]))
            start += n
        out = fun(*args)
        out_leaves, out_spec = tree_flatten(out)
        box.append(out_spec)
        return tuple(out_leaves)

    box: list = []
    if order == 0:
        out = fun(*primals)
        return out, tree_unflatten(tree_flatten(out)[1], [[] for _ in tree_flatten(out)[0]])
    results = series_call(flat_fun, flat_primals, flat_series, order)
    out_primals, out_series = [], []
    for r in results:
        p, s = r
        out_primals.append(p)
        out_series.append([c if c is not None else _zeros(p) for c in s])
    spec = box[0]
    return tree_unflatten(spec, out_primals), tree_unflatten(spec, out_series)


def _check_leaf(x, i):
    if not isinstance(x, Tensor):
        raise TypeError(f"jet: argument {i} has a {type(x).__name__} leaf; expected Tensors")
    if x._data.dtype.kind != "f":
        raise TypeError(f"jet: argument {i} is {x.dtype}; Taylor coefficients need floating dtypes")


def _zeros(p):
    if not isinstance(p, Tensor):
        return p
    return zero_like(p)


def laplacian(f, *, samples=None, generator=None, sigma=None, distribution="rademacher"):
    """The Laplacian of a scalar function, ``sum_i d2f/dx_i^2``, by collapsed Taylor mode
    (NOTE: [collapsed Taylor mode] in _taylor/level.py): returns a function of ``x``.

    - ``samples=k``: the unbiased randomized estimate from k directions v (E[v v^T] = I):
      ``distribution='rademacher'`` (entries +-1) or ``'normal'``, drawn with ``generator``;
    - ``sigma=S`` (a (D, r) matrix, D = x.numel()): the weighted operator
      ``sum_ij (S S^T)_ij d2f/dx_i dx_j`` (Kolmogorov / Fokker-Planck operators).

    It composes with ``vmap`` (a Laplacian per point) and ``grad`` (its gradient with respect
    to parameters, as a PINN's loss needs).

    >>> import dualgrad as dg
    >>> from dualgrad.func import laplacian
    >>> x = dg.tensor([1.0, 2.0], dtype=dg.float64)
    >>> laplacian(lambda x: (x**3).sum())(x)
    tensor(18., dtype=dualgrad.float64)
    """
    if samples is not None and sigma is not None:
        raise ValueError("laplacian: give samples= (an estimate) or sigma= (weights), not both")
    if distribution not in ("rademacher", "normal"):
        raise ValueError(
            f"laplacian: distribution must be 'rademacher' or 'normal', not {distribution!r}"
        )

    def operator(x):
        if not isinstance(x, Tensor) or x._data.dtype.kind != "f":
            raise TypeError("laplacian: the point must be a floating Tensor")
        shape = tuple(x.shape)
        size = int(np.prod(shape, dtype=np.int64))
        dtype = x._data.dtype
        scale = None
        if sigma is not None:
            s = sigma._data if isinstance(sigma, Tensor) else np.asarray(sigma)
            if s.ndim != 2 or s.shape[0] != size:
                raise ValueError(
                    f"laplacian: sigma must have shape ({size}, r) for a point of {size} "
                    f"elements, not {tuple(s.shape)}"
                )
            dirs = np.ascontiguousarray(s.T, dtype=dtype).reshape((s.shape[1],) + shape)
        elif samples is not None:
            if int(samples) < 1:
                raise ValueError(f"laplacian: samples must be >= 1, not {samples}")
            dirs = _random_directions(int(samples), shape, dtype, generator, distribution)
            scale = 1.0 / int(samples)
        else:
            dirs = np.eye(size, dtype=dtype).reshape((size,) + shape)
        n = dirs.shape[0]
        vlevel = _vmap_level.enter(directions_only=True)
        try:
            d = BatchedTensor.wrap(Tensor._make(dirs), 0, vlevel.number)
            # the summed second coefficient starts as zeros, not None: a write into a view inside f
            # then has a coefficient to write into (NOTE: [writes at the Taylor level])
            out = series_call(f, [x], [(d, zero_like(x))], 2, collapse=(vlevel.number, n))
        finally:
            _levels.pop(vlevel.number)
        y, (_, y2) = out
        if not isinstance(y, Tensor) or y.numel() != 1:
            raise ValueError("laplacian: f must return a tensor with one element")
        if y2 is None:
            return _zeros(y)
        return y2 * scale if scale is not None else y2

    return operator


def _random_directions(k, shape, dtype, generator, distribution):
    from ..random._generator import numpy_rng

    rng = numpy_rng(generator, "laplacian")
    if distribution == "normal":
        return rng.standard_normal((k,) + shape).astype(dtype)
    return (rng.integers(0, 2, size=(k,) + shape) * 2 - 1).astype(dtype)
