"""``assert_close`` and the deprecated ``assert_allclose``, with torch.testing's default
tolerances, checks and mismatch messages.

# NOTE: [assert_close as torch's]
Inputs are paired as torch pairs them: two tensors (NumPy arrays count as tensors), two Python
numbers, or sequences and mappings of those compared item by item (a failure names the item).
Tensors must agree in shape and, unless ``check_dtype=False`` (which promotes both), dtype;
values are compared with ``isclose`` at ``rtol``/``atol``, by default the larger of the two
dtypes' defaults below (0 and 0 for integers and bools: equality). The message reports the
mismatched count and the greatest absolute and relative differences with their index, computed
in dualgrad ops as torch computes them (integers through int64, so a relative difference is in
the default float dtype).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from .._views import _View

# rtol, atol by dtype (torch.testing._comparison's default_tolerances)
_TOLERANCES = {
    _dtype.float32: (1.3e-6, 1e-5),
    _dtype.float64: (1e-7, 1e-7),
}
_TOLERANCES.update(
    {getattr(_dtype, n): tol for n, tol in (("float16", (1e-3, 1e-5)), ("bfloat16", (1.6e-2, 1e-5)),
                                             ("complex64", (1.3e-6, 1e-5)), ("complex128", (1e-7, 1e-7)))
     if hasattr(_dtype, n)}
)  # fmt: skip
# assert_allclose's own defaults
_ALLCLOSE_TOLERANCES = {_dtype.float32: (1e-4, 1e-5), _dtype.float64: (1e-5, 1e-8)}
if hasattr(_dtype, "float16"):
    _ALLCLOSE_TOLERANCES[_dtype.float16] = (1e-3, 1e-3)

_NUMBER = (bool, int, float, complex)


def _tolerances(dtypes, table, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
            f"{'rtol' if rtol is None else 'atol'}."
        )
    if rtol is not None:
        return rtol, atol
    pairs = [table.get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _mismatch_msg(identifier, extra, abs_diff, abs_idx, rel_diff, rel_idx, rtol, atol):
    equality = rtol == 0 and atol == 0

    def diff_msg(kind, diff, idx, tol):
        msg = (
            f"{kind.title()} difference: {diff}"
            if idx is None
            else f"Greatest {kind} difference: {diff} at index {idx}"
        )
        return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_idx, atol)
    msg += diff_msg("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, table):
    from .._factories import tensor

    if isinstance(actual, np.ndarray):
        actual = tensor(actual)
    if isinstance(expected, np.ndarray):
        expected = tensor(expected)
    actual, expected = actual.detach(), expected.detach()
    if actual.shape != expected.shape:
        return f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}."
    if actual.dtype != expected.dtype:
        if check_dtype:
            return (
                f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                f"{expected.dtype}."
            )
        common = _dtype.promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(common), expected.to(common)
    rtol, atol = _tolerances((actual.dtype, expected.dtype), table, rtol, atol)
    from .._ops.special import isclose

    matches = isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if bool(matches.all()):
        return None
    if actual.ndim == 0:
        return _scalar_msg(actual.item(), expected.item(), rtol, atol)
    exact = actual._data.dtype.kind not in "fc"
    a = actual.flatten().to(_dtype.int64) if exact else actual.flatten()
    e = expected.flatten().to(_dtype.int64) if exact else expected.flatten()
    hit = matches.flatten()
    abs_diff = (a - e).abs().masked_fill(hit, 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf here, silently as in torch
        rel_diff = (abs_diff / e.abs()).masked_fill(hit, 0)
    shape = tuple(actual.shape)

    def where(flat):
        return tuple(int(i) for i in np.unravel_index(int(flat), shape))

    n, bad = hit.numel(), int((~hit).sum())
    max_abs, max_rel = abs_diff.max(0), rel_diff.max(0)
    return _mismatch_msg(
        "Tensor-likes",
        f"Mismatched elements: {bad} / {n} ({bad / n:.1%})",
        max_abs.values.item(),
        where(max_abs.indices),
        max_rel.values.item(),
        where(max_rel.indices),
        rtol,
        atol,
    )


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else (math.inf if abs_diff else 0.0)
    if isinstance(abs_diff, float) and math.isnan(abs_diff):
        rel_diff = math.nan
    return _mismatch_msg(
        "Scalars",
        f"Expected {expected} but got {actual}.",
        abs_diff,
        None,
        rel_diff,
        None,
        rtol,
        atol,
    )


def _compare(actual, expected, path, **kw):
    """The failure message for ``actual`` against ``expected`` (None when they match) and the
    item path where it occurred."""
    allow_subclasses = kw.pop("allow_subclasses", True)
    tensor_like = (Tensor, np.ndarray)
    if isinstance(actual, tensor_like) and isinstance(expected, tensor_like):
        # torch pairs a tensor with a tensor and an array with an array, never the two mixed;
        # a subclass (Parameter) only with allow_subclasses
        a, e = _public_type(actual), _public_type(expected)
        if (a is e or issubclass(a, e) or issubclass(e, a)) and (allow_subclasses or a is e):
            return _compare_tensors(actual, expected, **kw), path
        _no_pair(actual, expected)
    if isinstance(actual, _NUMBER) and isinstance(expected, _NUMBER):
        if kw["check_dtype"] and type(actual) is not type(expected):
            return (
                f"The (d)types do not match: {type(actual)} != {type(expected)}.",
                path,
            )
        from .._factories import tensor

        # as torch: a Python float is a float64, an int an int64
        def as_tensor(x):
            return tensor(x, dtype=_dtype.float64 if isinstance(x, float) else None)

        return _compare_tensors(as_tensor(actual), as_tensor(expected), **kw), path
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            return (
                f"The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(set(expected) - set(actual))}\n"
                f"Additional keys in the actual mapping: {sorted(set(actual) - set(expected))}"
            ), path
        for key in expected:
            msg, where = _compare(
                actual[key], expected[key], path + [key], allow_subclasses=allow_subclasses, **kw
            )
            if msg:
                return msg, where
        return None, path
    sequence = lambda x: isinstance(x, Sequence) and not isinstance(x, str)  # noqa: E731
    if sequence(actual) and sequence(expected):
        if len(actual) != len(expected):
            return (f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"), path
        for i, (a, e) in enumerate(zip(actual, expected)):
            msg, where = _compare(a, e, path + [i], allow_subclasses=allow_subclasses, **kw)
            if msg:
                return msg, where
        return None, path
    _no_pair(actual, expected)


def _public_type(x):
    """The type a user sees: a view is a Tensor (``_View`` is dualgrad's bookkeeping)."""
    return Tensor if type(x) is _View else type(x)


def _no_pair(actual, expected):
    raise TypeError(
        f"No comparison pair was able to handle inputs of type {_public_type(actual)} and "
        f"{_public_type(expected)}."
    )


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
):
    """Raise AssertionError unless ``actual`` and ``expected`` are close, as
    torch.testing.assert_close (NOTE: [assert_close as torch's]).

    >>> import dualgrad as torch
    >>> torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
    """
    return _assert_close(
        actual, expected, rtol, atol, equal_nan, check_dtype, msg, _TOLERANCES, allow_subclasses
    )


def _assert_close(
    actual, expected, rtol, atol, equal_nan, check_dtype, msg, table, allow_subclasses=True
):
    if (rtol is None) != (atol is None):
        _tolerances((), table, rtol, atol)  # raises torch's ValueError
    error, path = _compare(
        actual,
        expected,
        [],
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_dtype=check_dtype,
        table=table,
        allow_subclasses=allow_subclasses,
    )
    if error is None:
        return
    if path:
        error += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
    if callable(msg):
        error = msg(error)
    elif msg is not None:
        error = msg
    raise AssertionError(error)


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated as in torch (a FutureWarning): ``assert_close`` with its own looser default
    tolerances, ``equal_nan=True`` and no dtype check; non-tensors become tensors, ``expected``
    in ``actual``'s dtype."""
    from .._factories import tensor

    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `torch.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    _assert_close(actual, expected, rtol, atol, equal_nan, False, msg or None, _ALLCLOSE_TOLERANCES)
