"""The table of Tensor methods, declared next to the public functions that they call.

``@tensor_method`` on a function of an op module makes it a method of Tensor
(``x.exp()`` is ``exp(x)``); ``_tensor_methods.attach()`` binds the table when dualgrad is
imported. This module imports nothing of dualgrad, so every op module can use it.
"""

from __future__ import annotations

from typing import Callable

METHODS: dict[str, Callable] = {}  # x.name(...) is fn(x, ...)
INPLACE: dict[str, Callable] = {}  # x.name_(...) writes fn(x, ...) into x (``_inplace``)


def tensor_method(fn=None, *names: str, inplace: bool = False, method: bool = True):
    """Declare ``fn`` a Tensor method, under its own name or under ``names`` (aliases).

    ``inplace=True`` adds the in-place variant ``x.name_()`` too; ``method=False`` declares
    only that variant. Returns ``fn``, so it serves as a decorator and in an alias's
    assignment (in an op module)::

        @tensor_method(inplace=True)  # x.asin() and x.asin_()
        def asin(x): ...

        arcsin = tensor_method(asin, "arcsin", inplace=True)  # x.arcsin(), x.arcsin_()
    """
    if fn is None:
        return lambda f: tensor_method(f, *names, inplace=inplace, method=method)
    for name in names or (fn.__name__,):
        if method:
            _declare(METHODS, name, fn)
        if inplace:
            _declare(INPLACE, name + "_", fn)
    return fn


def _declare(table: dict, name: str, fn: Callable) -> None:
    old = table.get(name)
    if old is not None and old is not fn:
        raise ValueError(
            f"Tensor.{name} is declared twice, by {old.__module__}.{old.__qualname__} and "
            f"{fn.__module__}.{fn.__qualname__}; keep one @tensor_method"
        )
    table[name] = fn
