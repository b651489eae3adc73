"""Large element-wise ufunc calls split over a small thread pool, and torch's thread settings.

NumPy runs a ufunc on one core; torch splits large element-wise work over its intra-op threads.
NumPy's ufunc loops release the GIL, so ``parallel_call`` cuts a large contiguous call into
chunks, runs one on the calling thread and the others on a pool of daemon threads, and returns
the same bits the single call gives (NOTE: [same bits]) with the same floating-point errors
(NOTE: [errors of a split call]). The dispatcher's fast entries call it behind a size guard:

    if x.size < _split[0]:          # _split is SPLIT_FROM: one comparison on the small path
        raw = uf(x)
    else:
        raw = split_or_call(uf, x)  # parallel_call, or the ufunc itself where it does not split

``set_num_threads``/``get_num_threads`` and ``set_num_interop_threads``/
``get_num_interop_threads`` are torch's names for the settings.
"""

from __future__ import annotations

import operator
import os
import queue
import sys
import threading
import time
import warnings

import numpy as np

__all__ = [
    "get_num_interop_threads",
    "get_num_threads",
    "parallel_call",
    "split_or_call",
    "set_num_interop_threads",
    "set_num_threads",
]

# NOTE: [parallel threshold] A split costs a fixed ~50-60 us on the project machine (2 vCPUs):
# waking a pool thread and being woken by it, each ~25 us here (a queue round trip between two
# threads measures 50 us), plus the GIL passing between the two. It pays once the single call
# takes well over twice that, and what a call takes per element differs 300-fold between the
# registry's ufuncs (measured at 2**20 elements: square f32 0.08 ns, add f32 0.15, exp f32 0.48,
# exp f64 0.8, tanh f64 1.7, sin f64 15, floor_divide f64 23). No one size serves: a threshold
# where add pays (~1e6 elements) leaves sin f64 20x slower than it could be, and one where sin
# pays (~2e4) makes add 10x slower. So each kernel (ufunc and dtypes) is timed once, when it
# first comes here, on 2**14 elements in the calling thread (best of 3, ~1 ms at most), and is
# split from the size whose single call takes _MIN_WORK_NS; never below _MIN_SIZE, which is the
# caller's guard (SPLIT_FROM).
#
# benchmarks/threads.py, 2 threads, single call / split (median of 3 runs, each the median of 7
# alternating timings; the other core partly busy with a niced process):
#
#     size        1e4   3e4   1e5   3e5   1e6   3e6      split from (measured threshold)
#     exp  f32    0.25  0.49  0.97  1.16  1.36  1.58     ~4.1e5
#     tanh f32    0.16  0.46  0.77  1.03  1.47  1.35     ~5.0e5
#     add  f32    0.05  0.11  0.46  0.70  1.02  1.47     ~1.35e6
#     exp  f64    0.33  0.74  1.23  1.28  1.48  1.66     ~2.4e5
#     tanh f64    0.54  0.99  1.32  1.36  1.46  1.61     ~1.2e5
#     add  f64    0.08  0.20  0.68  0.84  1.35  1.50     ~8.1e5
#
# The split breaks even where the single call takes 80-210 us; at _MIN_WORK_NS = 200 us every
# split the thresholds chose gained (1.09x-1.66x, 1.2x-1.5x typical), and some gain between
# 100 and 200 us is left on the table (exp f64 at 1e5: 1.23x).
_MIN_WORK_NS = 200_000
_MIN_SIZE = 1 << 15
_SAMPLE = 1 << 14

# NOTE: [same bits] Chunks start at multiples of _ALIGN elements, a multiple of 64 bytes for
# every itemsize and of any SIMD vector's lanes. Each chunk then starts at the same address
# modulo 64 bytes as the whole array, and no chunk but the last ends inside a vector, so every
# element is computed by the same lanes of the same loop as in the single call. The loop casts
# nothing (_kernel), so NumPy runs it once over each chunk, without buffers.
# tests/test_parallel.py checks the bits of every registry ufunc on f32 and f64 with nan, inf
# and denormals, at sizes around the chunk boundaries and from a misaligned start.
_ALIGN = 1024

_NEVER = sys.maxsize  # SPLIT_FROM while there is one thread: the guard never passes


def _env_threads() -> int:
    """torch's default intra-op thread count (its intraop_default_num_threads, as measured
    against torch 2.13 in tests/test_parallel.py): MKL_NUM_THREADS, else OMP_NUM_THREADS, read
    as a leading integer ("4", "1,2" -> 1) and at most os.cpu_count(); unset, empty, zero or
    negative: the cores this process may run on."""
    n = 0
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # the later one wins, as in torch
        digits = ""
        for ch in os.environ.get(var, "").strip():
            if not ch.isdigit():
                break
            digits += ch
        if digits and int(digits) > 0:
            n = int(digits)
    if n > 0:
        return min(n, os.cpu_count() or 1)
    return _usable_cores()


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


_threads = _env_threads()
# The size from which a call may split, in a list the dispatcher holds (reading its item is
# cheaper than a module attribute on the path every small op takes); set_num_threads updates it.
SPLIT_FROM = [_MIN_SIZE if _threads > 1 else _NEVER]
_interop: int | None = None  # None: never set; torch's default then is the core count
_pool: _Pool | None = None
_pool_lock = threading.Lock()
_blas_limit = None  # threadpoolctl's limiter, kept so that the limit stays in force


def _checked_count(name: str, n) -> int:
    """torch's checks of a thread count: an int (not a bool), positive."""
    if isinstance(n, bool) or not hasattr(type(n), "__index__"):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    n = operator.index(n)
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(n: int) -> None:
    """Set the number of threads dualgrad uses for large element-wise kernels, as
    ``torch.set_num_threads``.

    Element-wise ops on tensors large enough that it pays are split over ``n`` threads (the
    calling thread and ``n - 1`` pool threads); ``n == 1`` never splits. The result is the
    same, bit for bit, as the unsplit call. When the optional package
    ``threadpoolctl`` is installed, NumPy's BLAS (matmul, linalg) is limited to ``n`` threads
    too, as torch limits its BLAS; without it BLAS keeps its own setting (its environment
    variables, such as ``OPENBLAS_NUM_THREADS``).

    >>> import dualgrad as torch
    >>> n = torch.get_num_threads()
    >>> torch.set_num_threads(1)
    >>> torch.get_num_threads()
    1
    >>> torch.set_num_threads(n)
    """
    global _threads, _pool, _blas_limit
    n = _checked_count("set_num_threads", n)
    with _pool_lock:
        _threads = n
        SPLIT_FROM[0] = _MIN_SIZE if n > 1 else _NEVER
        if _pool is not None and _pool.size != max(1, n - 1):
            _pool.shutdown()  # a new pool of the new size starts at the next split call
            _pool = None
    try:
        import threadpoolctl
    except ImportError:
        return
    _blas_limit = threadpoolctl.threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads for large element-wise kernels, as ``torch.get_num_threads``: by
    default OMP_NUM_THREADS (or MKL_NUM_THREADS) where set, else the cores this process may use.

    >>> import dualgrad as torch
    >>> torch.get_num_threads() >= 1
    True
    """
    return _threads


# NOTE: [inter-op threads] torch runs independent ops concurrently on an inter-op pool
# (torch.jit.fork); dualgrad has no such pool, so these two only keep the number, with torch's
# checks: an int, positive, and set at most once (torch refuses a second call, and a call after
# its inter-op pool has started, which here never starts). The default is torch's, the core
# count.
def set_num_interop_threads(n: int) -> None:
    """Set the number of inter-op threads, as ``torch.set_num_interop_threads``: kept and
    returned by ``get_num_interop_threads``; dualgrad runs no inter-op pool (NOTE: [inter-op
    threads]). A second call raises, as torch's does.

    >>> import dualgrad as torch
    >>> torch.get_num_interop_threads() >= 1
    True
    """
    global _interop
    n = _checked_count("set_num_interop_threads", n)
    if _interop is not None:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started or "
            "set_num_interop_threads called"
        )
    _interop = n


def get_num_interop_threads() -> int:
    """The number of inter-op threads, as ``torch.get_num_interop_threads`` (NOTE: [inter-op
    threads]).

    >>> import dualgrad as torch
    >>> torch.get_num_interop_threads() >= 1
    True
    """
    return _interop if _interop is not None else (os.cpu_count() or 1)


class _Pool:
    """``size`` daemon threads that run chunk tasks from one queue; started when made."""

    def __init__(self, size: int):
        self.size = size
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        for i in range(size):
            threading.Thread(target=self._work, name=f"dualgrad-intraop-{i}", daemon=True).start()

    def _work(self):
        get = self.tasks.get
        while True:
            task = get()
            if task is None:
                return
            task()

    def shutdown(self):
        for _ in range(self.size):
            self.tasks.put(None)  # after the tasks already queued: calls in flight finish


def _submit(tasks) -> None:
    """Queue ``tasks`` on the pool, started here on first use. Under the lock, so that no task
    is queued behind the stop marks of a pool that set_num_threads is replacing."""
    global _pool
    with _pool_lock:
        workers = max(1, _threads - 1)  # 1 if set_num_threads(1) came since the caller's check
        if _pool is None or _pool.size != workers:
            _pool = _Pool(workers)
        for task in tasks:
            _pool.tasks.put(task)


def _forget_pool():
    # a forked child has only the thread that forked: the parent's workers are not there
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


# (ufunc, dtype of x, dtype of y or None) -> (output dtype, size from which to split), or None
# where the call is not split
_KERNELS: dict = {}


def _kernel(ufunc, x, y):
    key = (ufunc, x.dtype, None if y is None else y.dtype)
    try:
        return _KERNELS[key]
    except KeyError:
        pass
    found = None
    ins = key[1:] if y is not None else key[1:2]
    # numbers only: an object loop runs Python code under the GIL, which a split cannot speed
    numeric = all(dt.kind in "biufc" for dt in ins)
    if numeric and isinstance(ufunc, np.ufunc) and ufunc.nout == 1 and ufunc.nin == len(ins):
        try:
            loop = ufunc.resolve_dtypes((*ins, None))
        except (TypeError, ValueError):  # no loop: the caller's own call raises NumPy's error
            loop = None
        # only a loop that casts nothing: the inner loop then runs straight over each chunk
        if loop is not None and all(a == b for a, b in zip(ins, loop)):
            found = (loop[-1], _split_size(ufunc, ins, loop[-1]))
    _KERNELS[key] = found
    return found


def _split_size(ufunc, ins, out_dtype) -> int:
    """The size from which ``ufunc`` on ``ins`` is split: where its single call, timed here on
    a sample, takes _MIN_WORK_NS (NOTE: [parallel threshold])."""
    # values in every registry ufunc's domain but acosh's (arcsin, log, sqrt, atanh: (0, 1))
    sample = [np.linspace(0.1, 0.9, _SAMPLE).astype(dt) for dt in ins]
    out = np.empty(_SAMPLE, out_dtype)
    best = float("inf")
    with np.errstate(all="ignore"):
        for _ in range(3):
            start = time.perf_counter_ns()
            ufunc(*sample, out=out)
            best = min(best, time.perf_counter_ns() - start)
    per_element = max(best, 1) / _SAMPLE
    return max(_MIN_SIZE, int(_MIN_WORK_NS / per_element))


# NOTE: [errors of a split call] np.errstate is thread-local (a context variable), and a floating-
# point error is noticed per thread, from that thread's status flags after its loop. So every
# chunk, the caller's too, runs with errors sent to a recorder (all="call"), which gathers the
# flags NumPy reports; then, back in the caller's thread, the union of the flags is acted on as
# NumPy acts on a single call's, under the caller's own settings: in NumPy's order (divide by
# zero, overflow, underflow, invalid value), with NumPy's message and class, a warning
# attributed to the caller's line, the errcall function called with the flags. The rarer
# modes ("print", "log", "call" without a function) are not imitated: the call is made again
# whole in the caller's thread, which reports exactly as NumPy does.
_KINDS = (
    ("divide", 1, "divide by zero"),
    ("over", 2, "overflow"),
    ("under", 4, "underflow"),
    ("invalid", 8, "invalid value"),
)


def _run_chunk(ufunc, args, out, status):
    def record(_kind, flags):
        status[0] |= flags

    with np.errstate(all="call", call=record):
        ufunc(*args, out=out)


def _report(ufunc, status) -> bool:
    """Act on the flags ``status`` as NumPy acts after a single call; False where the call must
    be made again to report (a mode not imitated)."""
    modes = np.geterr()
    flagged = [(modes[key], text) for key, bit, text in _KINDS if status & bit]
    if any(
        mode not in ("ignore", "warn", "raise", "call")
        or (mode == "call" and not callable(np.geterrcall()))
        for mode, _ in flagged
    ):
        return False
    for mode, text in flagged:
        message = f"{text} encountered in {ufunc.__name__}"
        if mode == "warn":
            # attributed to the line that called parallel_call, as NumPy attributes its warning
            # to the line that called the ufunc
            warnings.warn(message, RuntimeWarning, stacklevel=3)
        elif mode == "raise":
            raise FloatingPointError(message)
        elif mode == "call":
            np.geterrcall()(text, status)
    return True


def parallel_call(ufunc, x, y=None):
    """``ufunc(x)`` or ``ufunc(x, y)`` computed in chunks on the thread pool, or None where the
    call is not split (the caller then calls the ufunc itself).

    Split: more than one thread set (``set_num_threads``); ``x`` and ``y`` NumPy arrays (not
    subclasses), the non-0-d ones of one shape, C-contiguous, with enough elements that the
    split pays for this ufunc (NOTE: [parallel threshold]; never fewer than
    ``SPLIT_FROM``); ``ufunc`` a NumPy ufunc with one output and as many inputs as given, whose loop
    for these dtypes casts nothing. The result has the single call's bits (NOTE: [same bits])
    and its floating-point warnings and errors (NOTE: [errors of a split call]).

    >>> import numpy as np
    >>> from dualgrad import _parallel
    >>> x = np.linspace(0.0, 1.0, 1 << 18)
    >>> out = _parallel.parallel_call(np.exp, x)
    >>> out is None or bool((out == np.exp(x)).all())
    True
    """
    if _threads < 2:
        return None
    args = (x,) if y is None else (x, y)
    big = None
    for a in args:
        if type(a) is not np.ndarray:
            return None
        if a.ndim:
            if big is None:
                big = a
            elif a.shape != big.shape:
                return None
            if not a.flags.c_contiguous:
                return None
    if big is None:
        return None
    size = big.size
    kernel = _kernel(ufunc, x, y)
    if kernel is None or size < kernel[1]:
        return None
    dt = kernel[0]
    n = min(_threads, size // _ALIGN)
    if n < 2:  # only where the thresholds are lowered (benchmarks/threads.py forces splits)
        return None
    out = np.empty(big.shape, dtype=dt)
    flat_out = out.reshape(-1)
    flat_args = [a.reshape(-1) if a.ndim else a for a in args]
    bounds = [(size * i // n + _ALIGN // 2) // _ALIGN * _ALIGN for i in range(n)] + [size]
    statuses = [[0] for _ in range(n)]
    errors: list = []
    done: queue.SimpleQueue = queue.SimpleQueue()

    def task(i):
        lo, hi = bounds[i], bounds[i + 1]
        chunk = [a[lo:hi] if a.ndim else a for a in flat_args]

        def run():
            try:
                _run_chunk(ufunc, chunk, flat_out[lo:hi], statuses[i])
            except BaseException as e:  # handed to the caller's thread
                errors.append(e)
            finally:
                done.put(None)

        return run

    _submit([task(i) for i in range(1, n)])
    try:
        lo, hi = bounds[0], bounds[1]
        _run_chunk(
            ufunc, [a[lo:hi] if a.ndim else a for a in flat_args], flat_out[lo:hi], statuses[0]
        )
    finally:
        for _ in range(1, n):
            done.get()
    if errors:
        raise errors[0]
    status = 0
    for s in statuses:
        status |= s[0]
    if status and not _report(ufunc, status):
        return ufunc(*args)
    return out


def split_or_call(ufunc, x, y=None):
    """``ufunc(x)`` / ``ufunc(x, y)``: split by ``parallel_call`` where that pays, else the
    single call (the dispatcher's fast entries, behind their ``SPLIT_FROM`` guard)."""
    out = parallel_call(ufunc, x, y)
    if out is None:
        out = ufunc(x) if y is None else ufunc(x, y)
    return out
