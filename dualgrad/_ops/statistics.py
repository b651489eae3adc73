"""Statistics of samples: cov and corrcoef (composites: sums, matmul, sqrt, clamp, so every mode
comes from those ops, and the derivative is torch's), and the counts histc, histogram and
bincount (primitives without derivatives). Under vmap a histogram's kernel takes the batch as
rows, each with its own range (NOTE: [histograms by rows]); bincount runs once per batch
element, as the length of its result depends on the values.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype
from .._dispatch import apply
from .._tensor import Tensor
from .elementwise import _not_implemented, clamp, sqrt, where
from .indexing import known_values
from .registry import custom, nondiff
from ._methods import tensor_method

__all__ = ["cov", "corrcoef", "histc", "histogram", "bincount"]


# ------------------------------------------------------------------ covariance
def _check_weights(w, n, fn, name, integral):
    if w.ndim > 1:
        raise RuntimeError(
            f"{fn}(): expected {name} to have one or fewer dimensions but got {w.ndim} dimensions"
        )
    if integral == w.is_floating_point():
        kind = "integral" if integral else "floating point"
        dt = _dtype.torch_name(w.dtype.name)
        raise RuntimeError(
            f"{fn}(): expected {name} to have {kind} dtype but got {name} with {dt} dtype"
        )
    if w.numel() != n:
        raise RuntimeError(
            f"{fn}(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {n}"
        )
    values = known_values(w)  # (inside vmap the values exist per element: no check)
    if n and values is not None and (values < 0).any():
        raise RuntimeError(f"{fn}(): {name} cannot be negative")


@tensor_method
def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002  (torch's name)
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a vector is one variable), as torch computes it: a weighted mean taken out, then
    ``X W X^T / (sum(w) - correction * ...)``. ``fweights``: integer frequencies per
    observation; ``aweights``: float importances; ``correction=1`` is Bessel's.

    >>> import dualgrad as dg
    >>> dg.cov(dg.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"cov(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions"
        )
    if input.dtype == _dtype.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, n, "cov", "fweights", integral=True)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, n, "cov", "aweights", integral=False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n
    else:
        w_sum = w.sum()
        total = known_values(w_sum)
        if total is not None and total == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    known = known_values(norm) if isinstance(norm, Tensor) else norm
    if known is None:  # inside vmap: torch's zeroing, per element
        norm = where(norm > 0, norm, 0.0)
    elif known <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = norm * 0
    centered = x - avg.unsqueeze(1)
    c = centered @ (centered if w is None else centered * w).t()
    return (c / norm).squeeze()


@tensor_method
def corrcoef(input):  # noqa: A002
    """The Pearson correlation coefficients of the variables in the rows of ``input``: ``cov``
    divided by the standard deviations, clipped to [-1, 1] as torch does.

    >>> import dualgrad as dg
    >>> dg.corrcoef(dg.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    c = cov(input)
    if c.ndim == 0:  # one variable: 1, or nan where the variance is 0, nan or inf
        return c / c
    std = sqrt(c.diagonal())
    c = c / std.reshape(-1, 1)
    c = c / std.reshape(1, -1)
    return clamp(c, -1, 1)


# ------------------------------------------------------------------ counts
def _check_float(x, fn):
    if not x.is_floating_point():
        name = _dtype.torch_name(x.dtype.name)
        raise RuntimeError(f'"{fn}_cpu" not implemented for {name!r} (convert first: x.float())')


# NOTE: [histograms by rows] histc's and histogram's output shapes follow from bins alone, but
# the range of each batch element is its own smallest and largest value, so under vmap the
# kernel is called once with the batch in front (``rows=True``) and histograms each row.
def _by_rows(kernel):
    def run(*arrays, rows=False, **params):
        if not rows:
            return kernel(*arrays, **params)
        per_row = [kernel(*row, **params) for row in zip(*arrays)]
        if isinstance(per_row[0], tuple):
            return tuple(np.stack(part) for part in zip(*per_row))
        return np.stack(per_row)

    return run


def _rows_rule(op, physical, bdims, params, size):
    """Every input with the batch dim in front (unbatched ones expanded), one kernel call."""
    from .._batching_generic import _front

    args = [_front(p, d, size) for p, d in zip(physical, bdims)]
    return apply(op, *args, **dict(params, rows=True)), 0


def _histc_kernel(x, *, bins, min, max):  # noqa: A002
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        finite = x[np.isfinite(x)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (lo, hi)
    if lo == hi:  # torch widens an empty range by 1 each side
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    counts, _ = np.histogram(x[~np.isnan(x)], bins=bins, range=(lo, hi))
    return counts.astype(x.dtype)


HISTC = nondiff("histc", _by_rows(_histc_kernel), batch=_rows_rule)


def _histogram_kernel(x, *edges_and_weight, bins, range, density, has_weight):  # noqa: A002
    weight = edges_and_weight[-1] if has_weight else None
    edges = edges_and_weight[0] if len(edges_and_weight) > int(has_weight) else None
    if edges is not None:
        hist, out_edges = np.histogram(x, bins=edges, weights=weight, density=density)
    else:
        lo, hi = (
            range
            if range is not None
            else ((float(x.min()), float(x.max())) if x.size else (0.0, 1.0))  # (torch's)
        )
        if lo == hi:  # as torch and NumPy: an empty range widens by 0.5 each side
            lo, hi = lo - 0.5, hi + 0.5
        if lo > hi:
            raise RuntimeError(
                f"torch.histogram(): min should not exceed max, but got min {lo} max {hi}"
            )
        hist, out_edges = np.histogram(
            x, bins=bins, range=(lo, hi), weights=weight, density=density
        )
    return hist.astype(x.dtype), np.asarray(out_edges).astype(x.dtype)


HISTOGRAM = nondiff("histogram", _by_rows(_histogram_kernel), multi_output=True, batch=_rows_rule)


def _bincount_dtype(weights):
    if weights is None:
        return np.int64
    return np.float32 if weights.dtype == np.float32 else np.float64


def _bincount_kernel(x, *weights, minlength):
    w = weights[0] if weights else None
    out = np.bincount(x, weights=None if w is None else w.astype(np.float64), minlength=minlength)
    return out.astype(_bincount_dtype(w))


BINCOUNT = nondiff("bincount", _bincount_kernel, loops=True)
# with float weights that require grad torch records the count and raises when a gradient is
# asked for (NOTE: [recorded without a derivative] in elementwise.py)
BINCOUNT_WEIGHTED = custom(
    "bincount_weighted",
    _bincount_kernel,
    *_not_implemented("bincount"),
    node_name="NotImplemented",
    loops=True,
    saves=False,
)


@tensor_method
def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """The counts of the elements of ``input`` in ``bins`` equal-width bins over
    [``min``, ``max``] (both 0: the data's smallest and largest value); elements outside are
    not counted. A float tensor of input's dtype, without a derivative.

    >>> import dualgrad as dg
    >>> dg.histc(dg.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"histc(): argument 'input' must be Tensor, not {type(input).__name__}")
    _check_float(input, "histogram")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    return apply(HISTC, input.reshape(-1), bins=int(bins), min=min, max=max)


class Histogram(tuple):
    """``(hist, bin_edges)`` with names, like torch.return_types.histogram."""

    @property
    def hist(self):
        return self[0]

    @property
    def bin_edges(self):
        return self[1]

    def __repr__(self) -> str:
        return f"dualgrad.return_types.histogram(\nhist={self[0]!r},\nbin_edges={self[1]!r})"


@tensor_method
def histogram(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """The histogram of ``input``: ``bins`` equal-width bins over ``range`` (default: the
    data's smallest to largest value), or the bin edges given as a tensor; the last bin
    includes its right edge. ``weight``: each element's weight; ``density``: normalised to
    integrate to 1. Returns ``(hist, bin_edges)``, without derivatives.

    >>> import dualgrad as dg
    >>> dg.histogram(dg.tensor([1.0, 2.0, 1.0]), bins=2).hist
    tensor([2., 1.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"histogram(): argument 'input' must be Tensor, not {type(input).__name__}")
    _check_float(input, "histogram")
    args = [input.reshape(-1)]
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 1:
            raise RuntimeError(
                "torch.histogram(): bins tensor should have one dimension and at least 1 element"
            )
        args.append(bins.to(input.dtype))
        n_bins = None
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins}")
        n_bins = int(bins)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError(
                "torch.histogram(): if weight tensor is provided it should have the same shape as the input tensor"
            )
        args.append(weight.reshape(-1).to(input.dtype))
    rng = None if range is None else (float(range[0]), float(range[1]))
    hist, edges = apply(
        HISTOGRAM,
        *args,
        bins=n_bins,
        range=rng,
        density=bool(density),
        has_weight=weight is not None,
    )
    return Histogram((hist, edges))


@tensor_method
def bincount(input, weights=None, minlength=0):  # noqa: A002
    """How often each value 0, 1, ..., max(input) occurs in a 1-d tensor of non-negative
    integers (at least ``minlength`` counts); with ``weights``, the sum of the weights of each
    value's occurrences (float32 weights give float32, other weights float64).

    >>> import dualgrad as dg
    >>> dg.bincount(dg.tensor([0, 1, 1, 3]))
    tensor([1, 2, 0, 1])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"bincount(): argument 'input' must be Tensor, not {type(input).__name__}")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    bad = input.ndim != 1 or input.is_floating_point() or input.dtype == _dtype.bool_
    values = None if bad else known_values(input)
    if bad or (values is not None and values.size and values.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return apply(BINCOUNT, input, minlength=int(minlength))
    if weights.ndim != 1 or weights.shape[0] != input.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    op = BINCOUNT_WEIGHTED if weights.requires_grad else BINCOUNT
    return apply(op, input, weights, minlength=int(minlength))
