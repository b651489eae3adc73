"""Grad mode: whether ops record the reverse graph. Thread-local, as in PyTorch."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True
    inference = False  # inside inference_mode()


state = _State()


def is_grad_enabled() -> bool:
    """True when ops on tensors that require grad record a backward graph."""
    return state.enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager and a decorator."""

    _target: bool

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._ctor_args()):
                return fn(*args, **kwargs)

        return wrapper

    def _ctor_args(self):
        return ()


class _Switch(_GradModeContext):
    """A switch that takes no argument: ``with no_grad():``, ``@no_grad()``, and, as torch
    allows, the bare decorator ``@no_grad``."""

    def __new__(cls, fn=None):
        if fn is not None:  # the bare decorator
            return cls()(fn)
        return super().__new__(cls)


class no_grad(_Switch):
    """Disable recording. ``with dualgrad.no_grad(): y = x * 2`` gives ``y.requires_grad == False``."""

    _target = False


class enable_grad(_Switch):
    """Enable recording inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Set recording on or off: as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self._target = bool(mode)
        self._prev = state.enabled
        state.enabled = self._target  # like torch, calling it sets the mode at once

    def __enter__(self):
        pass

    def __call__(self, fn):
        # Used as a decorator, the constructor's immediate switch is undone (as in torch):
        # the mode applies only while the decorated function runs.
        state.enabled = self._prev
        return super().__call__(fn)

    def _ctor_args(self):
        return (self._target,)


class inference_mode(_GradModeContext):
    """``no_grad`` under torch's name for inference: recording off inside the block, as a
    context manager or a decorator (``@inference_mode`` or ``@inference_mode()``);
    ``inference_mode(False)`` changes nothing. Unlike torch, the tensors made inside are
    ordinary tensors (no "inference tensor" restrictions afterwards).

    >>> import dualgrad as dg
    >>> with dg.inference_mode():
    ...     y = dg.ones(2, requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, mode=True):
        if not isinstance(mode, bool):  # the bare decorator: @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc):
        state.enabled, state.inference = self._prev
        return False

    def _ctor_args(self):
        return (self.mode,)


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return state.inference
