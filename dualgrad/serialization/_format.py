"""``save`` and ``load`` in PyTorch's own checkpoint format, without torch.

The format (torch/serialization.py, ``_save``/``_load``): a zip archive, every record stored
uncompressed under one folder ``<name>/``:

- ``data.pkl``: the pickled structure (protocol 2). A tensor pickles as a reduce to
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
  backward_hooks)``, a Parameter as ``torch._utils._rebuild_parameter(tensor, requires_grad,
  backward_hooks)``; a storage is a persistent id ``("storage", torch.FloatStorage, key, "cpu",
  numel)``, read from the record ``data/<key>``;
- ``data/<key>``: one storage's raw bytes, little-endian;
- ``byteorder`` (``little``), ``version`` (``3``), ``.format_version``, ``.storage_alignment``.

NOTE: [names torch's pickles use]
The pickle names torch's functions and classes (``torch FloatStorage``, ``torch float32``, ...).
Writing, a pure-Python Pickler emits those names as GLOBAL opcodes from the ``_TorchName``
markers, since pickle would otherwise import torch to check them. Reading, ``find_class`` maps
each name to dualgrad's counterpart; nothing is imported from the file's names.

NOTE: [weights_only]
``load(weights_only=True)`` (the default, as torch's) resolves only the names in ``_SAFE``:
the rebuild functions, storage types, dtypes, ``device``, ``Size``, ``OrderedDict``,
``Counter``, ``set``, ``bytearray``, ``complex`` and ``_codecs.encode`` (protocol 2's bytes), as
torch's weights-only unpickler (torch/_weights_only_unpickler.py). Any other global is refused before
anything is called, so a file whose pickle would run code (a reduce to ``os.system``) fails with
``pickle.UnpicklingError`` naming the global. The rebuild checks a tensor's offset, size and
stride against its storage, so a crafted file cannot read outside it.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import sys
import zipfile

import numpy as np

from .. import _dtype
from .._compat import device as _device
from .._tensor import Size, Tensor

# torch's storage class names by dtype name (a bfloat16 storage needs ml_dtypes: NOTE:
# [bfloat16] in _dtype.py; without it, loading one raises the ImportError that names the extra)
_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
}  # fmt: skip
_STORAGE_DTYPES = {v: _dtype._by_name(k) for k, v in _STORAGE_NAMES.items()}
_STORAGE_DTYPES["UntypedStorage"] = _dtype.uint8
_TORCH_DTYPES = tuple(_STORAGE_NAMES)


class _TorchName:
    """A name in torch's namespace, written into the pickle as a GLOBAL (NOTE: [names torch's
    pickles use])."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce asks for a callable; never called
        raise TypeError(f"{self.module}.{self.name} is a name for the pickle only")


_MARKERS: dict = {}


def _marker(module: str, name: str) -> _TorchName:
    key = module + "." + name
    if key not in _MARKERS:  # one object per name, so the pickle memo writes it once
        _MARKERS[key] = _TorchName(module, name)
    return _MARKERS[key]


class _Storage:
    """A storage to write: a C-contiguous NumPy array, by its persistent id."""

    __slots__ = ("key", "array")

    def __init__(self, key: str, array: np.ndarray):
        self.key, self.array = key, array


# ----------------------------------------------------------------------------- writing
def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


class _Writer(pickle._Pickler):
    """Pickles dualgrad objects as torch's (the pure-Python Pickler, whose ``dispatch`` can
    emit GLOBALs for names that are not importable here)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages: dict = {}  # key -> _Storage, in order
        self._by_root: dict = {}  # id(root array) -> (_Storage, root)

    def _storage_of(self, data: np.ndarray):
        """(storage, offset): the root array ``data`` views, shared by every view of it, when
        the view is expressible as torch's (same dtype, non-negative strides in elements);
        else a contiguous copy of its own."""
        root = _root(data)
        itemsize = data.itemsize
        shared = (
            root is not data
            and root.dtype == data.dtype
            and root.flags.c_contiguous
            and all(s >= 0 and s % itemsize == 0 for s in data.strides)
            and (_address(data) - _address(root)) % itemsize == 0
        )
        if not shared:
            root = data if data.flags.c_contiguous else np.ascontiguousarray(data)
        entry = self._by_root.get(id(root))
        if entry is None:
            storage = _Storage(str(len(self.storages)), root)
            self.storages[storage.key] = storage
            # keep the root alive while writing, so its id is not reused
            entry = self._by_root[id(root)] = (storage, root)
        offset = (_address(data) - _address(root)) // itemsize if root.size else 0
        return entry[0], offset

    def persistent_id(self, obj):
        if type(obj) is _Storage:
            name = _STORAGE_NAMES[obj.array.dtype.name]
            return ("storage", _marker("torch", name), obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is _device.device:
            return _marker("torch", "device"), (str(obj),)
        if type(obj) is Size:
            return _marker("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        from ..nn.parameter import Parameter

        if t._value is not None or t._fw:
            raise pickle.PicklingError(
                "save: cannot save a tensor inside vmap or with a forward-AD tangent; "
                "save the plain tensor (unpack_dual(x).primal, or outside the transform)"
            )
        hooks = collections.OrderedDict()  # backward hooks are not saved, as in torch
        if isinstance(t, Parameter):
            plain = Tensor._make(t._data)
            return _marker("torch._utils", "_rebuild_parameter"), (plain, t.requires_grad, hooks)
        storage, offset = self._storage_of(t._data)
        stride = tuple(s // t._data.itemsize for s in t._data.strides)
        args = (storage, offset, tuple(t._data.shape), stride, t.requires_grad, hooks)
        return _marker("torch._utils", "_rebuild_tensor_v2"), args

    def _save_name(self, obj):
        if isinstance(obj, _dtype.dtype):
            module, name = "torch", obj.name
        else:
            module, name = obj.module, obj.name
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)

    dispatch[_TorchName] = _save_name
    dispatch[_dtype.dtype] = _save_name


_ALIGNMENT = 64  # torch's .storage_alignment


def _padding(header_offset: int, filename: str) -> bytes:
    """An extra field that puts a record's data at a multiple of 64 bytes, as torch's writer
    does (an "FB" field of "Z"s), so ``torch.load(mmap=True)`` maps aligned storages."""
    start = header_offset + 30 + len(filename.encode()) + 4  # local header, name, field header
    pad = -start % _ALIGNMENT
    return b"FB" + pad.to_bytes(2, "little") + b"Z" * pad


def save(obj, f, pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:  # fmt: skip
    """Save ``obj`` (tensors, state dicts, containers, numbers) to ``f`` in PyTorch's format.

    ``f`` is a path or a binary file object. The file loads in PyTorch (``torch.load``, also with
    ``weights_only=True``) and in dualgrad; views of one tensor share one storage, as in torch.

    >>> import io, dualgrad as dg
    >>> buf = io.BytesIO()
    >>> dg.save({"w": dg.arange(3.0)}, buf)
    >>> _ = buf.seek(0)
    >>> dg.load(buf)["w"]
    tensor([0., 1., 2.])
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError(
            "save: only PyTorch's zip format is written (the legacy format, "
            "_use_new_zipfile_serialization=False, is not); drop the argument"
        )
    if sys.byteorder != "little":
        raise RuntimeError("save: dualgrad writes checkpoints on little-endian machines only")
    buf = io.BytesIO()
    writer = _Writer(buf, pickle_protocol)
    writer.dump(obj)
    name = "archive"
    if isinstance(f, (str, os.PathLike)):
        # torch names the folder after the file (model.pt -> model/)
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    records = [("data.pkl", buf.getvalue()), (".format_version", b"1")]
    records += [(".storage_alignment", b"64"), ("byteorder", b"little")]
    records += [(f"data/{k}", s.array.tobytes()) for k, s in writer.storages.items()]
    records += [("version", b"3\n")]
    own = isinstance(f, (str, os.PathLike))
    fh = open(f, "wb") if own else f
    try:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
            for rec, data in records:
                info = zipfile.ZipInfo(f"{name}/{rec}", date_time=(1980, 1, 1, 0, 0, 0))
                if rec.startswith("data/") and fh.seekable():
                    info.extra = _padding(fh.tell(), info.filename)
                z.writestr(info, data)
    finally:
        if own:
            fh.close()


# ----------------------------------------------------------------------------- reading
def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):  # fmt: skip
    """torch._utils._rebuild_tensor_v2: a tensor of ``size``/``stride`` over ``storage``
    (a copy: loaded tensors do not share memory with each other)."""
    if metadata:
        raise pickle.UnpicklingError(
            f"load: tensor metadata {sorted(metadata)!r} (conjugate/negative bits, ...) is not "
            "supported; save the tensor resolved (x.resolve_conj()) in torch"
        )
    size, stride = tuple(size), tuple(stride)
    ints = (*size, *stride, storage_offset)
    if len(size) != len(stride) or not all(type(i) is int and i >= 0 for i in ints):
        raise pickle.UnpicklingError(
            f"load: invalid tensor geometry: offset {storage_offset}, size {size}, stride {stride}"
        )
    target = _dtype.from_numpy_dtype(storage.dtype).np
    if not all(size):
        return _finish(np.empty(size, dtype=target), requires_grad)
    # a non-empty tensor must lie inside its storage
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise pickle.UnpicklingError(
            f"load: tensor of size {size}, stride {stride} at offset {storage_offset} "
            f"reaches past its storage of {storage.size} elements; the file is corrupt"
        )
    item = storage.itemsize
    data = np.lib.stride_tricks.as_strided(
        storage[storage_offset:], size, tuple(s * item for s in stride), writeable=False
    )
    return _finish(np.array(data, dtype=target), requires_grad)


def _finish(array: np.ndarray, requires_grad) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    """torch._utils._rebuild_parameter (and ``_with_state``): a Parameter wrapping ``data``."""
    from ..nn.parameter import Parameter

    p = Parameter(data, requires_grad)
    for k, v in (state or {}).items():  # attributes torch kept on the Parameter
        setattr(p, k, v)
    return p


def _torch_dtype(name: str):
    import dualgrad

    d = getattr(dualgrad, name, None)
    if not isinstance(d, _dtype.dtype):
        raise pickle.UnpicklingError(f"load: the file names torch.{name}, a dtype dualgrad lacks")
    return d


def _codecs_encode(obj, encoding="utf-8"):
    import codecs

    return codecs.encode(obj, encoding)


# NOTE: [weights_only]: the only names a weights-only load resolves
_SAFE = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "device"): _device.device,
    ("torch", "Size"): Size,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("collections", "Counter"): collections.Counter,
    ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray,
    ("_codecs", "encode"): _codecs_encode,
}


# NOTE: [safe globals] torch.serialization.add_safe_globals / safe_globals let a weights-only
# load resolve more names: each entry is a callable (a class, a function), allowed under its
# "module.qualname", or a (callable, "module.name") pair naming it explicitly. Only names the
# user listed are added; the rest of the weights-only rules hold.
_user_safe: list = []


def _safe_name(entry):
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise ValueError(
                f"Expected tuple of length 2 (global, str of callable full path), but got {entry}"
            )
        return entry[1], entry[0]
    return f"{entry.__module__}.{entry.__qualname__}", entry


def _allowed_by_user(module, name):
    full = f"{module}.{name}"
    for entry in _user_safe:
        key, obj = _safe_name(entry)
        if key == full:
            return obj
    return None


def add_safe_globals(safe_globals):
    """Let weights-only loads resolve these callables too (NOTE: [safe globals]).

    >>> import collections, dualgrad as dg
    >>> dg.serialization.add_safe_globals([collections.namedtuple])
    >>> collections.namedtuple in dg.serialization.get_safe_globals()
    True
    >>> dg.serialization.clear_safe_globals()
    """
    for entry in safe_globals:
        _safe_name(entry)  # checks a pair's form
    _user_safe.extend(safe_globals)


def get_safe_globals():
    """The callables added by ``add_safe_globals`` (and active ``safe_globals`` blocks)."""
    return list(_user_safe)


def clear_safe_globals():
    """Forget every callable added by ``add_safe_globals``."""
    _user_safe.clear()


class safe_globals:
    """A context manager: weights-only loads inside the block also resolve ``safe_globals``."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._before = list(_user_safe)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _user_safe[:] = self._before


class _Reader(pickle.Unpickler):
    def __init__(self, file, storages, weights_only: bool, map_location, **kwargs):
        super().__init__(file, **kwargs)
        self._map_location = map_location
        self._storages = storages  # key -> NumPy array
        self._weights_only = weights_only

    def find_class(self, module, name):
        if module == "__builtin__":  # protocol 2's name for builtins (pickle's fix_imports)
            module = "builtins"
        found = _SAFE.get((module, name))
        if found is not None:
            return found
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "torch" and name in _TORCH_DTYPES:
            return _torch_dtype(name)
        allowed = _allowed_by_user(module, name)
        if allowed is not None:
            return allowed
        if self._weights_only:
            raise pickle.UnpicklingError(
                f"Weights only load failed: unsupported global {module}.{name}. dualgrad.load "
                "with weights_only=True (the default) accepts only tensors, storages, "
                "containers and primitive types; pass weights_only=False only for a file from "
                "a source you trust (it runs the file's code)"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"load: unknown persistent id {pid!r}")
        kind, key, location, numel = pid[1:]
        if not isinstance(kind, _StorageType) or not isinstance(key, str):
            raise pickle.UnpicklingError(f"load: unknown storage in persistent id {pid!r}")
        if self._map_location is None:  # (else every storage is mapped to the CPU)
            _check_location(location)
        storage = self._storages(key, kind.dtype)
        if storage.size != numel:
            raise pickle.UnpicklingError(
                f"load: storage {key} holds {storage.size} elements, the pickle says {numel}"
            )
        return storage


class _StorageType:
    """A storage class named in the pickle (torch.FloatStorage, ...): its element type."""

    def __init__(self, name: str):
        self.dtype = _STORAGE_DTYPES[name].np


_NO_CUDA_LOAD = (
    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
    "If you are running on a CPU-only machine, please use torch.load with "
    "map_location=torch.device('cpu') to map your storages to the CPU."
)


def _check_location(location) -> None:
    """Refuse a storage location that is not the CPU, with torch's error on a CPU-only build."""
    kind = location.type if isinstance(location, _device.device) else str(location)
    kind = kind.partition(":")[0]
    if kind == "cuda":
        raise RuntimeError(_NO_CUDA_LOAD)
    if kind != "cpu":
        raise _device.not_here(kind)


def _check_map_location(map_location) -> None:
    """Accept what moves storages to the CPU; refuse other devices as a CPU-only torch does."""
    if map_location is None or callable(map_location) and not isinstance(map_location, str):
        return  # (a callable gets nothing to move: every storage is on the CPU)
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for d in targets:
        _check_location(d)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):  # fmt: skip
    """Load an object saved by ``dualgrad.save`` or ``torch.save`` (PyTorch's zip format).

    ``f`` is a path or a binary file object. With ``weights_only=True`` (the default, as in
    torch) the file may hold only tensors, Parameters, storages, dtypes, devices, containers
    (dict, list, tuple, OrderedDict, Counter, set) and primitive types; any other global is refused with
    ``pickle.UnpicklingError`` before it can run. ``weights_only=False`` unpickles anything,
    which runs code the file names: use it only for files you trust. ``map_location`` may name
    the CPU (everything loads there); other devices raise as on a CPU-only torch build.
    Loaded tensors are contiguous copies, not views of each other.

    >>> import io, dualgrad as dg
    >>> buf = io.BytesIO()
    >>> dg.save([dg.tensor(True), 2.5], buf)
    >>> _ = buf.seek(0)
    >>> dg.load(buf, map_location="cpu")
    [tensor(True), 2.5]
    """
    _check_map_location(map_location)
    own = isinstance(f, (str, os.PathLike))
    fh = open(f, "rb") if own else f
    try:
        if not zipfile.is_zipfile(fh):
            raise RuntimeError(
                "load: not a PyTorch zip checkpoint (files from torch < 1.6 or saved with "
                "_use_new_zipfile_serialization=False are not read); re-save it with torch.save"
            )
        with zipfile.ZipFile(fh) as z:
            return _load_zip(z, weights_only is not False, map_location, pickle_load_args)
    finally:
        if own:
            fh.close()


def _load_zip(z: zipfile.ZipFile, weights_only: bool, map_location, pickle_load_args):
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
    if not pkl:
        raise RuntimeError("load: the archive has no <name>/data.pkl: not a PyTorch checkpoint")
    prefix = pkl[0][: -len("data.pkl")]
    names = set(z.namelist())
    if prefix + "byteorder" in names and z.read(prefix + "byteorder") != b"little":
        raise RuntimeError("load: big-endian checkpoints are not supported")
    cache: dict = {}

    def storage(key: str, dtype: np.dtype) -> np.ndarray:
        if key not in cache:
            rec = prefix + "data/" + key
            if rec not in names:
                raise pickle.UnpicklingError(f"load: the archive has no storage record {rec}")
            raw = z.read(rec)
            if len(raw) % dtype.itemsize:
                raise pickle.UnpicklingError(
                    f"load: storage {rec} is not a whole number of {dtype}"
                )
            cache[key] = np.frombuffer(raw, dtype=dtype.newbyteorder("<"))
        return cache[key]

    file = io.BytesIO(z.read(pkl[0]))
    return _Reader(file, storage, weights_only, map_location, **pickle_load_args).load()
