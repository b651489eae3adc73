"""Tensor: a NumPy array plus what autograd needs (grad, grad_fn, tangents per level).

Attributes that most tensors never use are class-level defaults, so making a tensor on the hot
path sets one field (``_data``); see NOTE: [hot path] in _dispatch.py.
"""

from __future__ import annotations

import operator
import weakref

import numpy as np

from ._compat import device as _device
from ._compat.hooks import RemovableHandle
from ._compat.meta import META_NUMPY, NO_DATA, MetaArray
from . import _dtype, _printing
from . import _levels
from ._grad_mode import state as _grad_state


_NUMPY_NEEDS_DETACH = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)


class Tensor:
    """An n-dimensional array that records the operations done on it.

    >>> import dualgrad as dg
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __array_priority__ = 1000  # NumPy defers to our reflected operators

    _grad = None  # NOTE: [gradient dtypes] in autograd/engine.py: the setter checks it
    grad_fn = None  # the backward node that made this tensor (None for leaves)
    _out_nr = 0  # which output of grad_fn this is
    _requires_grad = False
    # the tape this tensor's history is on (NOTE: [grad under vmap] in _grad_levels.py), and on
    # a tape, the tensor it stands for one level down (the tape's wrapper: make_leaf, lift)
    _glevel = -1
    _below = None
    _acc = None  # AccumulateGrad of a leaf that requires grad (shared by its aliases)
    _vc = None  # version counter [int], shared with views; made on first need
    _multi = None  # an output of a multi-output view op: (op name, output number)
    _value = None  # a batched tensor's physical tensor (_batching.BatchedTensor)
    _vlevel = -1  # the vmap level of a batched tensor (a wrapper: NOTE: [wrappers] in _batching.py)
    # A leaf's gradient accumulator class, and ``backward``: given by autograd/graph.py and
    # autograd/engine.py, which stand above this module (NOTE: [import order] in __init__.py)
    _accumulator = None
    _fw = None  # {level number: tangent}; NOTE: [levels] in _levels.py
    _hooks = None
    _retains_grad = False
    _base = None  # the root a view shares memory with (NOTE: [views and in-place] in _views.py)
    _alias_hook = None  # BatchedTensor makes its aliases itself (_batching.py)
    _saved_version = 0  # a node's saved output: the version it was saved at (NOTE: [in-place ops])

    # torch's legacy constructor, given by _compat/legacy.py, which stands above this module
    _legacy_new = None

    def __new__(cls, *args, **kwargs):
        """torch's legacy constructor: ``Tensor([1, 2])`` (data, in the default dtype),
        ``Tensor(2, 3)`` (uninitialized, of that size), ``Tensor()`` (empty): _compat/legacy.py."""
        return cls._legacy_new(None, args, kwargs)

    def __init__(self, *args, **kwargs):
        pass  # (everything is done in __new__)

    # ------------------------------------------------------------ construction
    @classmethod
    def _make(cls, data: np.ndarray) -> "Tensor":
        t = object.__new__(cls)
        t._data = data
        return t

    # ------------------------------------------------------------ metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as a ``torch.Size`` (a tuple), or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions (alias ``ndimension``)."""
        return self._data.ndim

    ndimension = dim  # (torch's older name)

    def numel(self) -> int:
        """The number of elements (alias ``nelement``)."""
        return self._data.size

    nelement = numel

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device.device:
        """``device(type='cpu')``: tensors live on the CPU (NOTE: [CPU-only devices]), but for
        meta tensors, which have no data (NOTE: [meta tensors] in _compat/meta.py)."""
        return _device.META if isinstance(self._data, MetaArray) else _device.CPU

    @property
    def is_meta(self) -> bool:
        return isinstance(self._data, MetaArray)

    @property
    def is_cpu(self) -> bool:
        return not isinstance(self._data, MetaArray)

    @property
    def is_cuda(self) -> bool:
        return False

    def get_device(self) -> int:
        """-1, torch's answer for a CPU tensor."""
        return -1  # torch's answer for a CPU tensor

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Raises torch's CPU-only error (NOTE: [CPU-only devices] in _compat/device.py)."""
        raise _device.not_here("cuda")

    def pin_memory(self, device=None):
        """Raises, as on a torch build with no accelerator: pinned memory is for copies to one."""
        raise RuntimeError(_device.NO_ACCELERATOR)

    def is_pinned(self, device=None) -> bool:
        """False: there is no pinned memory on a CPU-only build."""
        return False

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point one (float16/32/64, bfloat16)."""
        return _dtype.is_floating(self._data.dtype)

    def element_size(self) -> int:
        """The size of one element in bytes."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """The bytes of the elements this tensor shows (an expanded dim counted once a
        position, as torch's ``numel() * itemsize``)."""
        return self._data.size * self._data.itemsize

    def stride(self, dim: int | None = None):
        """The strides in elements (not bytes, unlike NumPy), or the stride of dimension ``dim``."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the memory is row-major; only that layout exists in dualgrad (NOTE: [memory
        formats] in _compat/memory_format.py): for ``channels_last`` the answer is False, as
        torch's for a row-major tensor of more than one channel."""
        from ._compat.memory_format import channels_last, channels_last_3d

        if memory_format in (channels_last, channels_last_3d):
            return False
        return bool(self._data.flags.c_contiguous)

    @property
    def data(self) -> "Tensor":
        """This tensor's values without history (shares memory), like ``detach()``."""
        return self.detach()

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data

    # ------------------------------------------------------------ conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing this tensor's memory.

        Raises for a tensor that requires grad, as torch does (use ``detach()`` first or
        ``force=True``).
        """
        if self._requires_grad and _grad_state.enabled and not force:
            raise RuntimeError(_NUMPY_NEEDS_DETACH)
        if isinstance(self._data, MetaArray):
            raise TypeError(META_NUMPY)
        return self._data

    # NOTE: [NumPy interop] np.asarray(t), np.array(t) and ufuncs such as np.sin(t) go through
    # __array__: the result is a plain array, outside the graph. For a tensor that requires grad
    # that would silently cut the gradient, so it raises as numpy() does, as in torch; code that
    # means it detaches first. dualgrad's own code reads ``._data``.
    def __array__(self, dtype=None, copy=None):
        if self._requires_grad and _grad_state.enabled:
            raise RuntimeError(_NUMPY_NEEDS_DETACH)
        if isinstance(self._data, MetaArray):
            raise TypeError(META_NUMPY)
        data = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return data.copy() if copy else data

    # NOTE: [NumPy ufuncs on tensors] As torch's: ``np.sin(t)``, ``np.add(t, 1)``, ``np.add.reduce(t)``
    # give back a tensor sharing the ufunc's result (a bool result as uint8, as torch's
    # __array_wrap__ does); ``ndarray op tensor`` is the operators' business (_tensor_methods.py).
    def __array_wrap__(self, array, context=None, return_scalar=False):
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        d = _dtype.from_numpy_dtype(array.dtype)  # (from_numpy's rule; it stands above us)
        return Tensor._make(array if array.dtype == d.np else array.astype(d.np))

    # DLPack, the zero-copy exchange with NumPy (>= 1.22), torch and other array libraries:
    # NumPy's own export of the data (utils/dlpack.py has the import side).
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {"stream": stream}
        if max_version is not None:  # (NumPy < 2 takes only ``stream``)
            kwargs.update(max_version=max_version, dl_device=dl_device, copy=copy)
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (_device.DLDeviceType.kDLCPU, 0)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if isinstance(self._data, MetaArray):
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as nested Python lists of Python numbers (a number for a 0-d tensor)."""
        if isinstance(self._data, MetaArray):
            raise NotImplementedError(NO_DATA)
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if isinstance(self._data, MetaArray):
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    # ------------------------------------------------------------ autograd fields
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return the tensor; only leaves may turn it off, as in
        torch."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return self
        if requires_grad and self._data.dtype.kind != "f":
            if _dtype.is_floating(self._data.dtype):  # NOTE: [bfloat16]
                raise RuntimeError(
                    "dualgrad does not differentiate bfloat16 tensors (torch does): compute in "
                    "float32, e.g. x.float().requires_grad_(), and convert the results back"
                )
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (got {self.dtype}); "
                "convert first, e.g. x.float().requires_grad_()"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient accumulated by backward (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            _check_assigned_grad(self, value)
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def _edge(self):
        """Where this tensor's gradient goes: (node, output number), or None."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._out_nr)
        if self._requires_grad:
            acc = self._acc
            if acc is None:
                acc = self._acc = self._accumulator(self)
            return acc.edge
        return None

    def _version_counter(self) -> list:
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    @property
    def _version(self) -> int:
        return self._vc[0] if self._vc is not None else 0

    def detach(self) -> "Tensor":
        """A tensor sharing data with this one, with no history and no tangents."""
        t = Tensor._make(self._data)
        t._vc = self._version_counter()
        return t

    def detach_(self) -> "Tensor":
        """Detach this tensor from the graph in place (no history, no longer requires grad); refused
        for a view of a tensor that requires grad, as in torch."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._out_nr = 0
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                t.grad = g.detach() if t.grad is None else t.grad + g.detach()

        self.grad_fn.register_prehook(self._out_nr, _RetainGrad(keep))

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, nr = self._edge()
        node.register_prehook(nr, hook)
        return RemovableHandle(node.pre_hooks[nr], hook)  # NOTE: [one handle type]

    # ------------------------------------------------------------ repr
    def __repr__(self) -> str:
        data = self._data
        meta = isinstance(data, MetaArray)
        if meta:  # as torch's: no values, the device and the size
            body = "..."
        else:
            body = _printing.values_text(data, "tensor(") if data.size else "[]"
        extras = []
        if meta:
            extras += ["device='meta'", f"size={tuple(data.shape)}"]
        elif data.size == 0 and data.ndim != 1:
            extras.append(f"size={tuple(data.shape)}")
        default = _dtype.get_default_dtype().np
        # an empty tensor has no elements to show that it is int64 or bool, so it says so
        shown = (default,) if data.size == 0 or meta else (default, np.int64, np.bool_)
        if data.dtype not in shown:
            extras.append(f"dtype={self.dtype}")
        if self._fw:
            extras.append(f"tangent_levels={sorted(self._fw)}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # as torch's: a 0-d tensor formats as its number ('{:+.2f}'), others only as str
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment; detach() first"
            )
        t = Tensor._make(self._data.copy())
        t._requires_grad = self._requires_grad
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t


def _rebuild(data, requires_grad):
    t = Tensor._make(data)
    t._requires_grad = requires_grad
    return t


def _check_assigned_grad(t, g) -> None:
    """``t.grad = g`` takes a tensor of t's shape and dtype only, as torch's setter does (the
    engine makes gradients so: NOTE: [gradient dtypes] in autograd/engine.py)."""
    if not isinstance(g, Tensor):
        kind = type(g)
        name = (
            kind.__name__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        raise TypeError(
            f"assigned grad expected to be a Tensor or None but got grad of type {name}"
        )
    if g is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if g._data.dtype != t._data.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{g.dtype}' to a tensor with dtype "
            f"'{t.dtype}'. The gradient must match the tensor's dtype; convert it first, "
            f"e.g. grad.to({t.dtype})"
        )
    if g._data.shape != t._data.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(g._data.shape)}' to a tensor of size "
            f"'{list(t._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
        )


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``dualgrad.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"dualgrad.Size({list(self)})"

    # NOTE: [Size stays a Size] As torch.Size, concatenating, repeating and slicing give a Size
    # (tuple's own methods would give a plain tuple). Items are not checked on construction:
    # Tensor.shape builds one per call, and a check there would cost every shape read.
    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to dualgrad.Size"
            )
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


# NOTE: [size arguments] A size is a tuple of ints, as in torch: ``zeros(5 / 2)`` must not quietly
# make 2 elements. Python and NumPy integers and integer 0-d tensors (anything with
# ``__index__``) are accepted; floats, bools and float tensors are refused with torch's TypeError.
def size_arg(size, op: str, arg: str = "size") -> tuple:
    """``size`` (varargs, or one tuple/list) as a tuple of Python ints, or torch's TypeError."""
    nested = len(size) == 1 and isinstance(size[0], (tuple, list))
    if nested:
        size = size[0]
    out = []
    for i, s in enumerate(size):
        if type(s) is int:
            out.append(s)
            continue
        try:
            if isinstance(s, (bool, np.bool_)):
                raise TypeError
            out.append(operator.index(s))
        except TypeError:
            if len(size) == 1 and not nested:
                raise TypeError(
                    f"{op}(): argument '{arg}' (position 1) must be tuple of ints, not "
                    f"{_type_name(s)}"
                ) from None
            raise TypeError(
                f"{op}(): argument '{arg}' must be tuple of ints, but found element of type "
                f"{_type_name(s)} at pos {i}"
            ) from None
    return tuple(out)


def _type_name(x) -> str:
    t = type(x)
    if t.__module__ == "builtins" or t.__module__.startswith("dualgrad"):
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


class _RetainGrad:
    """A prehook marker so retain_grad hooks run after user hooks, as in PyTorch."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, g):
        self.fn(g)
        return None


def alias(x: Tensor, below_level: int | None = None) -> Tensor:
    """A new tensor object sharing ``x``'s data, version counter and autograd edge.

    With ``below_level`` it keeps only tangents of levels below that number: the primal that a
    rule at that level sees (NOTE: [canonical form] in _dispatch.py). Gradients that flow into
    the alias reach ``x``'s edge, leaf or not.
    """
    if x._alias_hook is not None:  # a batched tensor (NOTE: [vmap levels] in _vmap_level.py)
        return x._alias_hook(below_level)
    t = Tensor._make(x._data)
    t._vc = x._version_counter()
    t.grad_fn = x.grad_fn
    t._out_nr = x._out_nr
    t._requires_grad = x._requires_grad
    if x._requires_grad and x.grad_fn is None:
        x._edge()  # make the accumulator so both objects share it
        t._acc = x._acc
    if x._fw:
        # The alias holds its tangents like any tensor: a level forgets them on exit, even
        # where the alias lives on in a backward node (reverse over nested forward).
        by_number = _levels.stack.by_number
        for lv, tan in x._fw.items():
            if (below_level is None or lv < below_level) and lv in by_number:
                if t._fw is None:
                    t._fw = {}
                t._fw[lv] = tan
                by_number[lv].hold(t)
    if x._glevel >= 0:  # a tensor on a vmap level's tape (NOTE: [grad under vmap])
        t._glevel = x._glevel
        if x._below is not None:
            t._below = alias(x._below, below_level)
    return t


# NOTE: [in-place epoch] Every in-place write bumps this counter as well as the tensor's
# version. A backward node remembers the epoch it was made in: when no write happened since,
# none of its saved tensors can have changed and the version check is skipped (the hot path).
INPLACE_EPOCH = [0]


def bump_version(t: Tensor) -> None:
    """Record an in-place write to ``t`` (its version, and the global epoch)."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    vc[0] += 1
    INPLACE_EPOCH[0] += 1


def detach_history(x: Tensor) -> Tensor:
    """``x`` without reverse-mode history but with its tangents: what a gradient computed
    with ``create_graph=False`` is. Inside a dual level its tangent is the HVP
    (forward-over-reverse), so it must survive."""
    if not x._requires_grad:
        return x
    if x._alias_hook is not None:  # a batched tensor
        return x._without_history()
    t = Tensor._make(x._data)
    t._vc = x._version_counter()
    if x._fw:
        t._fw = dict(x._fw)
        for level in t._fw:
            _levels.stack.by_number[level].hold(t)
    return t


def set_tangent(t: Tensor, level: int, tangent: Tensor) -> None:
    """Attach a tangent for a live level, and let the level forget it on exit."""
    if t._fw is None:
        t._fw = {}
    t._fw[level] = tangent
    _levels.stack.by_number[level].hold(t)


# NOTE: [wrappers] (in _batching.py) A wrapper tensor stands for the tensor one level down.
def inner(t):
    """The tensor one level down that ``t`` wraps (None for a tensor that wraps nothing): a
    BatchedTensor's physical ``_value``, a tape tensor's ``_below``."""
    below = t._below
    return below if below is not None else t._value


def requires_grad_anywhere(t) -> bool:
    """Whether some tape, at any level, records ops on ``t``: an outer transform can see it."""
    while isinstance(t, Tensor):
        if t._requires_grad:
            return True
        t = inner(t)
    return False


# NOTE: [instance attribute keys] CPython keeps one table of attribute names for all the
# instances of a class (key-sharing dicts, PEP 412) and stores each instance's values beside it,
# without a dict of its own. A name can join that table only while few instances exist (CPython
# 3.11: about 30); an instance that later sets a name not in it gets a dict of its own, one more
# object for the garbage collector to count. Recorded outputs set ``grad_fn``, so a program that
# made 30 plain tensors before its first recorded op (every benchmark's set-up does) paid a dict
# per recorded op: issue 17's W4 chain made 970 tracked objects per call instead of 675, past
# the collector's threshold of 700, so a young collection ran on every call instead of almost
# never, and promoted the half-built graph towards the costly full collections (W4 fwd+bwd 1.23
# -> 1.53 ms a call after the peers benchmark's set-up). So each tensor class enters the names
# its instances set, at import, on a throwaway instance (the lists: every name the test suite
# sets, recorded per class; tests/test_instance_keys.py checks that recorded ops make no dict).
TENSOR_INSTANCE_NAMES = (
    "_data",
    "grad_fn",
    "_requires_grad",
    "_out_nr",
    "_vc",
    "_acc",
    "_fw",
    "_glevel",
    "_below",
    "_base",
    "_saved_version",
    "_grad",
    "_retains_grad",
    "_hooks",
    "_multi",
    "_alias_hook",
)


def enter_instance_names(cls, names) -> None:
    """Put ``names`` in the shared attribute table of ``cls``'s instances, while it is new
    (NOTE: [instance attribute keys])."""
    t = object.__new__(cls)
    for name in names:
        if not hasattr(getattr(cls, name, None), "__set__"):  # a property keeps its own
            object.__setattr__(t, name, None)


enter_instance_names(Tensor, TENSOR_INSTANCE_NAMES)
