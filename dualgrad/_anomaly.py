"""Anomaly detection: remember where each backward node was made, and say so when it fails.

>>> import warnings
>>> import dualgrad as dg
>>> class Boom(dg.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         return x * 2
...     @staticmethod
...     def backward(ctx, g):
...         raise ValueError("boom")
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")  # it warns that it is on, as torch does
...     anomaly = dg.autograd.detect_anomaly()
>>> with anomaly:
...     y = Boom.apply(dg.ones(2, requires_grad=True)).sum()
...     try:
...         y.backward()
...     except ValueError as e:
...         print(e.__notes__[0].splitlines()[0])
Error detected in BoomBackward; the forward call that created this node:

# NOTE: [anomaly mode]
Inside ``detect_anomaly`` (or after ``set_detect_anomaly(True)``), a node made by an op records
the stack of the forward call that made it (``record``), and an exception raised by that node's
backward gets a note "the forward call that created this node:" with that stack (``annotate``).
With ``check_nan`` a backward that returns NaN raises, naming the node. Custom Functions
(function.py) also warn when, with ``create_graph=True``, their backward returns a gradient
without history for an input that requires grad: the double backward through it is then
probably wrong (the seed's SinhBad, which saves intermediates on ``ctx``). The stacks are kept
in a weak dictionary keyed by node, so nodes need no extra slot and die as before.
"""

from __future__ import annotations

import threading
import traceback
import warnings
import weakref

import numpy as np


class _State(threading.local):
    enabled = False
    check_nan = True


state = _State()
_stacks: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

_HEADER = "the forward call that created this node:"


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly``."""
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.enabled and state.check_nan


def _announce() -> None:
    warnings.warn(
        "Anomaly Detection has been enabled. This mode will increase the runtime and should "
        "only be enabled for debugging.",
        UserWarning,
        stacklevel=3,
    )


class detect_anomaly:
    """Context manager (and decorator) that turns on anomaly detection, as in PyTorch.

    Nodes made inside it remember their forward stack; an error in their backward names it.
    ``check_nan`` makes a backward that returns NaN raise.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        _announce()

    def __enter__(self):
        self._prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once, or for a ``with`` block."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self._prev
        return False


def record(node) -> None:
    """Remember the current stack for ``node`` (call only when ``state.enabled``)."""
    _stacks[node] = "".join(traceback.format_stack()[:-2])


def forward_stack(node) -> str | None:
    return _stacks.get(node)


def annotate(node, exc: BaseException) -> None:
    """Add the forward stack of ``node`` to ``exc`` (once), if one was recorded."""
    stack = _stacks.get(node)
    if stack is None or getattr(exc, "_dualgrad_anomaly", False):
        return
    exc._dualgrad_anomaly = True  # type: ignore[attr-defined]
    exc.add_note(f"Error detected in {node.name()}; {_HEADER}\n{stack}")


def check_nan(node, grads) -> None:
    """Raise if a gradient returned by ``node`` holds NaN (call only when checking)."""
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f" and np.isnan(g._data).any():
            err = RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
            annotate(node, err)
            raise err
