"""Parameter: a Tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from .._tensor import TENSOR_INSTANCE_NAMES, Tensor, enter_instance_names


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and that ``Module.__setattr__`` registers.

    It shares memory with the tensor it wraps, as ``torch.nn.Parameter`` does.

    >>> import dualgrad as dg
    >>> p = dg.nn.Parameter(dg.zeros(2))
    >>> p.requires_grad, type(p).__name__
    (True, 'Parameter')
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        from .._factories import empty

        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected a Tensor, got {type(data).__name__}")
        p = object.__new__(cls)
        p._data = data._data
        p._vc = data._version_counter()
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # everything is done in __new__ (Tensor.__init__ refuses direct construction)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self.grad is not None:
            p.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute
    (``torch.nn.Buffer``). The module stores a plain Tensor sharing its data."""

    def __new__(cls, data, *, persistent: bool = True):
        b = object.__new__(cls)
        b._data = data._data
        b._vc = data._version_counter()
        b.persistent = persistent
        return b

    def __init__(self, data, *, persistent: bool = True):
        pass


def set_optional_parameter(module, name: str, data) -> None:
    """``module.<name>`` = a Parameter over ``data``, or None when ``data`` is None (the name
    stays registered, as torch keeps ``bias=None`` in a layer built with ``bias=False``)."""
    if data is None:
        module.register_parameter(name, None)
    else:
        setattr(module, name, Parameter(data))


enter_instance_names(
    Parameter, TENSOR_INSTANCE_NAMES
)  # NOTE: [instance attribute keys] in _tensor.py
