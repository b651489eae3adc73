"""Element-wise ufunc calls split over threads (dualgrad/_parallel.py, issue 17): the same bits as
the single call for every ufunc kernel of the op registry, the same floating-point errors under
every errstate, torch's thread settings, the pool started only when first needed, and a forked
child that still computes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad import _parallel
from dualgrad._ops.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
MIN = _parallel._MIN_SIZE
MIN_WORK_NS = _parallel._MIN_WORK_NS
ALIGN = _parallel._ALIGN


@pytest.fixture
def threads(monkeypatch):
    """Run with a chosen thread count, restored after (set_num_threads also limits BLAS), and
    every kernel split from MIN elements on, whatever its measured cost."""
    monkeypatch.setattr(_parallel, "_MIN_WORK_NS", 0)
    monkeypatch.setattr(_parallel, "_KERNELS", {})
    before = dg.get_num_threads()
    yield dg.set_num_threads
    dg.set_num_threads(before)


def _registry_ufuncs():
    found = {}
    for op in REGISTRY.values():
        uf = getattr(op.forward, "ufunc", None)
        if isinstance(uf, np.ufunc) and uf.nout == 1 and uf.nin in (1, 2):
            found[uf.__name__] = uf
    return [found[k] for k in sorted(found)]


def _dtypes(uf):
    """The float dtypes with a loop of their own; the int dtypes for the bitwise ufuncs."""

    def own_loop(dt):
        try:
            loop = uf.resolve_dtypes((dt,) * uf.nin + (None,))
        except TypeError:
            return False
        return all(d == dt for d in loop[: uf.nin])

    floats = [np.dtype(n) for n in ("float32", "float64") if own_loop(np.dtype(n))]
    return floats or [np.dtype(n) for n in ("int32", "int64") if own_loop(np.dtype(n))]


UFUNCS = _registry_ufuncs()
CASES = [(uf, dt) for uf in UFUNCS for dt in _dtypes(uf)]


def test_the_table_holds_every_registry_ufunc():
    # exp, add, ..., the bitwise ops: every ufunc kernel, each with at least one dtype
    assert len(UFUNCS) >= 40 and {uf for uf, _ in CASES} == set(UFUNCS)
    assert {"exp", "tanh", "add", "divide", "arctan2", "bitwise_and"} <= {
        u.__name__ for u in UFUNCS
    }


def _values(dt, n, seed):
    """n values of dtype dt with every special kind in them: nan, +-inf, +-0, denormals, the
    largest and smallest normals, values near 1 and large arguments."""
    rng = np.random.default_rng(seed)
    if dt.kind == "i":
        return rng.integers(np.iinfo(dt).min, np.iinfo(dt).max, n, dtype=dt, endpoint=True)
    fi = np.finfo(dt)
    special = np.array(
        [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, fi.smallest_subnormal, -fi.smallest_subnormal,
         fi.smallest_normal / 3, fi.tiny, fi.max, -fi.max, 1.0, -1.0, 1 + fi.eps, 0.5, 88.7, -103.9,
         709.8, -745.2, 1e30, np.pi / 2],
        dtype=dt,
    )  # fmt: skip
    pool = np.concatenate(
        [special, rng.standard_normal(64).astype(dt), (rng.standard_normal(64) * 100).astype(dt)]
    )
    return pool[rng.integers(0, len(pool), n)]


def _bits(a):
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else a


# sizes at and around the threshold and the chunk boundaries (which fall on multiples of ALIGN)
SIZES = [MIN, MIN + 1, MIN + ALIGN - 1, MIN + 3 * ALIGN + 5, 2 * MIN + ALIGN + 3]


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("uf, dt", CASES, ids=[f"{uf.__name__}-{dt}" for uf, dt in CASES])
def test_split_call_has_the_single_calls_bits(uf, dt, n_threads, threads):
    threads(n_threads)
    for k, n in enumerate(SIZES):
        # offset 1: a C-contiguous array that does not start on a SIMD-aligned address
        offset = k % 2
        x = _values(dt, n + offset, k)[offset:]
        args = (x,) if uf.nin == 1 else (x, _values(dt, n, 100 + k))
        with np.errstate(all="ignore"):
            want = uf(*args)
            got = _parallel.parallel_call(uf, *args)
        assert got is not None, "not split"
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(_bits(got), _bits(want))
    if uf.nin == 2:  # a 0-d operand on either side: x * 2.0, 2.0 - x
        x = _values(dt, MIN + 7, 7)
        for s in _values(dt, 8, 8):
            s = np.asarray(s)
            for args in ((x, s), (s, x)):
                with np.errstate(all="ignore"):
                    want = uf(*args)
                    got = _parallel.parallel_call(uf, *args)
                assert got is not None
                np.testing.assert_array_equal(_bits(got), _bits(want))


def test_multidimensional_input_keeps_its_shape(threads):
    threads(2)
    x = np.random.default_rng(0).standard_normal((512, 300, 2))
    got = _parallel.parallel_call(np.tanh, x)
    assert got.shape == x.shape and np.array_equal(got, np.tanh(x))


def test_each_kernel_is_split_from_the_size_where_it_pays(threads, monkeypatch):
    # NOTE: [parallel threshold]: floor_divide f64 costs ~150x what add f32 costs per element
    # (23 ns and 0.15 ns on the project machine), so add is split only from a much larger size
    monkeypatch.setattr(_parallel, "_MIN_WORK_NS", MIN_WORK_NS)
    x32, x64 = np.ones(1, np.float32), np.ones(1)
    cheap = _parallel._kernel(np.add, x32, x32)[1]
    dear = _parallel._kernel(np.floor_divide, x64, x64)[1]
    assert dear >= MIN and cheap >= 8 * dear
    threads(2)
    a = np.ones(dear)
    assert _parallel.parallel_call(np.floor_divide, a, a) is not None
    assert _parallel.parallel_call(np.add, a.astype(np.float32), a.astype(np.float32)) is None


@pytest.mark.parametrize(
    "why, call",
    [
        ("too small", lambda x: _parallel.parallel_call(np.exp, x[: MIN - 1])),
        ("not contiguous", lambda x: _parallel.parallel_call(np.exp, x[::2])),
        ("Fortran order", lambda x: _parallel.parallel_call(np.exp, x.reshape(512, -1).T)),
        ("shapes differ", lambda x: _parallel.parallel_call(np.add, x, x[:1])),
        ("a cast", lambda x: _parallel.parallel_call(np.add, x, x.astype(np.float32))),
        ("subclass", lambda x: _parallel.parallel_call(np.exp, x.view(np.matrix))),
        ("two outputs", lambda x: _parallel.parallel_call(np.frexp, x)),
        ("not a ufunc", lambda x: _parallel.parallel_call(lambda a: a, x)),
        ("no loop", lambda x: _parallel.parallel_call(np.bitwise_and, x, x)),
        ("nin 2, one given", lambda x: _parallel.parallel_call(np.add, x)),
        ("object dtype", lambda x: _parallel.parallel_call(np.exp, x.astype(object))),
        ("byte-swapped", lambda x: _parallel.parallel_call(np.exp, x.astype(">f8"))),
    ],
)
def test_calls_not_split_return_none(why, call, threads):
    threads(2)
    assert call(np.ones(4 * MIN)) is None, why


def test_one_thread_never_splits(threads, monkeypatch):
    threads(1)
    assert _parallel.SPLIT_FROM[0] == sys.maxsize
    monkeypatch.setattr(_parallel, "_submit", lambda tasks: pytest.fail("work was queued"))
    assert _parallel.parallel_call(np.exp, np.ones(4 * MIN)) is None
    threads(2)
    assert _parallel.SPLIT_FROM[0] == MIN


def test_pool_size_follows_set_num_threads(threads):
    x = np.ones(4 * MIN)
    for n in (3, 2):
        threads(n)
        assert _parallel.parallel_call(np.exp, x) is not None
        assert _parallel._pool.size == n - 1
    names = [t.name for t in threading.enumerate() if t.name.startswith("dualgrad-intraop")]
    assert all(t.daemon for t in threading.enumerate() if t.name in names)


# floating-point errors: a split call reports what the single call reports


def _zero_division_input(where):
    """x / y with a zero in y in chunk 0 (the caller's), in the last chunk (a worker's) or in
    both, and an overflow (1e308 / 1e-308) and an invalid value (0 / 0) in the last chunk."""
    x = np.ones(2 * MIN)
    y = np.ones(2 * MIN)
    if where in ("caller", "both"):
        y[5] = 0.0
    if where in ("worker", "both"):
        y[-5] = 0.0
        x[-3], y[-3] = 1e308, 1e-308
        x[-2], y[-2] = 0.0, 0.0
    return x, y


def _outcome(fn, **errstate):
    """What a call does under ``errstate``: its exception, the warnings it gives (message,
    category, file) and the errcall calls it makes."""
    calls = []
    if errstate.get("call") is True:
        errstate["call"] = lambda kind, flags: calls.append((kind, flags))
    with warnings.catch_warnings(record=True) as caught, np.errstate(**errstate):
        warnings.simplefilter("always")
        try:
            out = fn()
            error = None
        except FloatingPointError as e:
            out, error = None, str(e)
    ws = [(str(w.message), w.category, w.filename) for w in caught]
    return out, error, ws, calls


@pytest.mark.parametrize("where", ["caller", "worker", "both"])
@pytest.mark.parametrize(
    "errstate",
    [
        dict(all="raise"),
        dict(all="warn"),
        dict(all="ignore"),
        dict(divide="ignore", over="raise", invalid="warn"),
        dict(divide="warn", over="ignore", invalid="raise"),
        dict(all="call", call=True),
        dict(under="raise", divide="call", call=True),
    ],
    ids=str,
)
def test_errors_as_the_single_call(where, errstate, threads):
    threads(2)
    x, y = _zero_division_input(where)
    before = np.geterr()
    got = _outcome(lambda: _parallel.parallel_call(np.divide, x, y), **dict(errstate))
    want = _outcome(lambda: np.divide(x, y), **dict(errstate))
    assert got[1:] == want[1:]
    assert (got[0] is None) == (want[0] is None)
    if want[0] is not None:
        np.testing.assert_array_equal(got[0], want[0])
    assert np.geterr() == before  # the chunks' recorder does not leak into the caller


def test_raise_reaches_the_callers_thread(threads):
    threads(2)
    x, y = _zero_division_input("worker")
    with np.errstate(all="raise"), pytest.raises(FloatingPointError, match="divide by zero"):
        _parallel.parallel_call(np.divide, x, y)


def test_warning_points_at_the_callers_line(threads):
    threads(2)
    x, y = _zero_division_input("worker")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _parallel.parallel_call(np.divide, x, y)
    assert caught and all(w.filename == __file__ for w in caught)


def test_modes_not_imitated_make_the_call_again(threads):
    # "log" writes to an object: the split call is made again whole in the caller's thread
    threads(2)
    x, y = _zero_division_input("both")

    class Log:
        def __init__(self):
            self.lines = []

        def write(self, s):
            self.lines.append(s)

    logs = []
    for fn in (lambda: _parallel.parallel_call(np.divide, x, y), lambda: np.divide(x, y)):
        log = Log()
        with np.errstate(all="log", call=log):
            out = fn()
        logs.append((log.lines, out))
    assert logs[0][0] == logs[1][0] and logs[0][0]
    np.testing.assert_array_equal(logs[0][1], logs[1][1])


def test_hot_path_filter_still_silences_dualgrads_kernels(threads):
    # dualgrad filters the RuntimeWarnings its kernels raise by the module they are attributed
    # to (NOTE: [numpy warnings]): a split call's warning is attributed to its caller as the
    # ufunc's own is, so the same filter applies
    threads(2)
    x, y = _zero_division_input("worker")
    ns = {"pc": _parallel.parallel_call, "np": np, "x": x, "y": y}
    code = compile("out = pc(np.divide, x, y)", "<caller>", "exec")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="caller_module")
        exec(code, {"__name__": "caller_module", **ns})
    assert caught == []


# thread settings, against torch's


@pytest.mark.parametrize("bad", [0, -1, 2.0, "2", True, None])
@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
def test_bad_thread_counts_raise_as_torch(name, bad):
    def outcome(lib):
        try:
            getattr(lib, name)(bad)
        except Exception as e:
            return type(e), str(e)
        return None

    want = outcome(torch)
    assert want is not None
    assert outcome(dg) == want


@pytest.mark.parametrize("n", [1, 3, np.int64(2)])
def test_set_then_get_as_torch(n, threads):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(n)
        threads(n)
        assert dg.get_num_threads() == torch.get_num_threads() == int(n)
    finally:
        torch.set_num_threads(before)


_SETTINGS = """
import json, os, sys
import {lib} as m
out = {{"threads": m.get_num_threads(), "interop": m.get_num_interop_threads()}}
m.set_num_interop_threads(3)
out["interop_set"] = m.get_num_interop_threads()
try:
    m.set_num_interop_threads(4)
except Exception as e:
    out["again"] = [type(e).__name__, str(e)]
print(json.dumps(out))
"""


def _settings(lib, env):
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    full.update(env, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-c", _SETTINGS.format(lib=lib)],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"OMP_NUM_THREADS": "1"},
        {"OMP_NUM_THREADS": "64"},
        {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "1"},
        {"OMP_NUM_THREADS": "0"},
    ],
    ids=str,
)
def test_defaults_and_interop_as_torch(env):
    assert _settings("dualgrad", env) == _settings("torch", env)


def test_default_follows_the_usable_cores():
    want = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    code = "import dualgrad; print(dualgrad.get_num_threads())"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert int(run.stdout) == want


def test_set_num_threads_limits_blas(threads, monkeypatch):
    import threadpoolctl

    threads(1)
    blas = threadpoolctl.threadpool_info()
    blas = [i for i in blas if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)
    # without threadpoolctl, BLAS is left alone and the setting still holds
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    threads(2)
    assert dg.get_num_threads() == 2


_STARTUP = """
import os, sys, threading
import numpy as np
import dualgrad
from dualgrad import _parallel
assert _parallel._pool is None, "a pool at import"
assert threading.active_count() == 1, threading.enumerate()
dualgrad.set_num_threads(3)
_parallel._MIN_WORK_NS = 0  # split from _MIN_SIZE on, whatever the kernels cost
x = np.linspace(-3.0, 3.0, 4 * _parallel._MIN_SIZE)
assert np.array_equal(_parallel.parallel_call(np.exp, x), np.exp(x))
workers = [t for t in threading.enumerate() if t.name.startswith("dualgrad-intraop")]
assert len(workers) == 2 and all(t.daemon for t in workers), workers
pid = os.fork()
if pid == 0:  # the child: the parent's workers are not here; a new pool starts
    import signal
    signal.alarm(30)
    ok = np.array_equal(_parallel.parallel_call(np.tanh, x), np.tanh(x))
    os._exit(0 if ok and _parallel._pool is not None else 1)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
assert np.array_equal(_parallel.parallel_call(np.sin, x), np.sin(x))
print("ok")
"""


def test_pool_starts_on_first_use_and_survives_fork():
    run = subprocess.run(
        [sys.executable, "-c", _STARTUP],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
