"""dualgrad.save/load against torch.save/load: files written by one load in the other (tensors
of every dtype, 0-d, empty and non-contiguous ones, containers, module and optimizer state
dicts), torch-written files load without torch, and a weights-only load refuses any global
that is not a tensor, a storage or a container, without running it."""

import collections
import io
import os
import pathlib
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

import dualgrad

# (dtype name, values): every dtype dualgrad has
VALUES = [
    ("float32", [[0.5, -1.25, 3.0], [4.0, 1e-8, -7.5]]),
    ("float64", [[0.1, 2.0, -3.3], [1e300, -0.0, 6.0]]),
    ("int64", [[1, -2, 3], [2**40, 0, -(2**62)]]),
    ("bool", [[True, False, True], [False, False, True]]),
    ("float16", [[0.5, -1.25, 65504.0], [6e-8, -0.0, 1e-3]]),
    ("bfloat16", [[0.5, -1.25, 3e38], [1e-38, -0.0, 1.0 / 3]]),
    ("int32", [[1, -2, 3], [2**31 - 1, 0, -(2**31)]]),
    ("int16", [[1, -2, 3], [2**15 - 1, 0, -(2**15)]]),
    ("int8", [[1, -2, 3], [127, 0, -128]]),
    ("uint8", [[1, 2, 3], [255, 0, 128]]),
]

# (name, how to take the tensor from a 2x3 base): contiguous, 0-d, empty, views
SHAPES = [
    ("whole", lambda t: t),
    ("0-d", lambda t: t[1, 2]),
    ("empty", lambda t: t[:0]),
    ("empty 0x3x0", lambda t: t[:0, :, None][:, :, :0]),
    ("transposed", lambda t: t.t()),
    ("strided slice", lambda t: t[:, ::2]),
    ("column", lambda t: t[:, 1]),
    ("expanded", lambda t: t[0].expand(4, 3)),
]

CASES = [(d, v, n, f) for d, v in VALUES for n, f in SHAPES]
IDS = [f"{d}-{n}" for d, _, n, _ in CASES]


def _same(dg_t, t_t):
    """dualgrad tensor ``dg_t`` equals torch tensor ``t_t`` in dtype, shape, values and
    requires_grad."""
    assert str(dg_t.dtype).split(".")[-1] == str(t_t.dtype).split(".")[-1]
    assert tuple(dg_t.shape) == tuple(t_t.shape)
    assert dg_t.requires_grad == t_t.requires_grad
    if t_t.dtype == torch.bfloat16:  # (bit for bit: torch's .numpy() refuses bfloat16)
        t_t, dg_t = t_t.view(torch.int16), dg_t.view(dualgrad.int16)
    np.testing.assert_array_equal(np.asarray(dg_t.detach()), t_t.detach().numpy())


def _roundtrip_dualgrad_to_torch(obj):
    buf = io.BytesIO()
    dualgrad.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def _roundtrip_torch_to_dualgrad(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return dualgrad.load(buf)


@pytest.mark.parametrize("dtype,values,name,take", CASES, ids=IDS)
def test_tensor_round_trips(dtype, values, name, take):
    dg = take(dualgrad.tensor(values, dtype=getattr(dualgrad, dtype)))
    tt = take(torch.tensor(values, dtype=getattr(torch, dtype)))
    _same(dg, tt)
    _same(dg, _roundtrip_dualgrad_to_torch(dg))
    _same(_roundtrip_torch_to_dualgrad(tt), tt)
    _same(dualgrad.load(_saved(dg)), tt)  # dualgrad to dualgrad


def _saved(obj):
    buf = io.BytesIO()
    dualgrad.save(obj, buf)
    buf.seek(0)
    return buf


def test_requires_grad_and_parameters_round_trip():
    w = dualgrad.tensor([1.0, 2.0], requires_grad=True)
    p = dualgrad.nn.Parameter(dualgrad.ones(2, 2))
    t_w, t_p = _roundtrip_dualgrad_to_torch([w, p])
    assert t_w.requires_grad and type(t_p) is torch.nn.Parameter and t_p.requires_grad
    _same(w, t_w)
    back_w, back_p = _roundtrip_torch_to_dualgrad([t_w, t_p])
    assert type(back_p) is dualgrad.nn.Parameter and back_p.requires_grad
    _same(back_w, t_w)
    _same(back_p, t_p)
    assert back_w.grad_fn is None  # a leaf, as torch's


def test_views_of_one_tensor_share_one_storage_in_the_file():
    base = dualgrad.arange(12.0).reshape(3, 4)
    buf = _saved({"base": base, "t": base.t(), "row": base[1], "step": base[:, ::2]})
    records = [n for n in zipfile.ZipFile(buf).namelist() if "/data/" in n]
    assert records == ["archive/data/0"]
    info = zipfile.ZipFile(buf).getinfo("archive/data/0")  # aligned to 64 bytes, as torch's
    assert (info.header_offset + 30 + len(info.filename) + len(info.extra)) % 64 == 0
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    ptrs = {v.untyped_storage().data_ptr() for v in loaded.values()}
    assert len(ptrs) == 1  # torch sees views of one storage, as if torch had saved them
    ref = torch.arange(12.0).reshape(3, 4)
    for key, want in [("base", ref), ("t", ref.t()), ("row", ref[1]), ("step", ref[:, ::2])]:
        assert loaded[key].stride() == want.stride()
        assert loaded[key].storage_offset() == want.storage_offset()
        assert torch.equal(loaded[key], want)


def _nested(m):
    return {
        "tensors": [m.tensor([1.0, 2.0]), (m.tensor(3), m.tensor([[True]]))],
        "ordered": collections.OrderedDict([("b", m.zeros(2, dtype=m.float64)), ("a", None)]),
        "prims": (
            1,
            -2.5,
            "text",
            b"bytes",
            True,
            None,
            {1, 2},
            bytearray(b"ba"),
            complex(1, -2),
            collections.Counter("aab"),
        ),
        "dtype": m.float64,
        "device": m.device("cpu"),
        "size": m.Size([2, 3]),
        "deep": {"a": [{"b": (m.ones(1),)}]},
    }


def _plain(v):
    """A nested value as comparable plain data (tensors as (dtype, values))."""
    if isinstance(v, (dualgrad.Tensor, torch.Tensor)):
        a = np.asarray(v.detach()) if isinstance(v, dualgrad.Tensor) else v.numpy()
        return ("tensor", str(v.dtype).split(".")[-1], a.tolist())
    if isinstance(v, (dualgrad.dtype, torch.dtype)):
        return ("dtype", str(v).split(".")[-1])
    if isinstance(v, (dualgrad.device, torch.device)):
        return ("device", str(v))
    if isinstance(v, (dualgrad.Size, torch.Size)):
        return ("size", tuple(v))
    if isinstance(v, dict):
        return (type(v).__name__, [(k, _plain(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_plain(x) for x in v])
    return v


def test_nested_containers_round_trip():
    want = _plain(_nested(torch))
    assert _plain(_nested(dualgrad)) == want
    assert _plain(_roundtrip_dualgrad_to_torch(_nested(dualgrad))) == want
    loaded = _roundtrip_torch_to_dualgrad(_nested(torch))
    assert _plain(loaded) == want
    assert type(loaded["size"]) is dualgrad.Size and loaded["dtype"] is dualgrad.float64
    assert loaded["device"] == dualgrad.device("cpu")


def _model(m):
    return m.nn.Sequential(m.nn.Linear(3, 4), m.nn.Tanh(), m.nn.BatchNorm1d(4), m.nn.Linear(4, 2))


def _train_steps(m, model, opt, x, steps):
    for _ in range(steps):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()


X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)

# (optimizer name, keyword arguments)
OPTIMIZERS = [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.1, "momentum": 0.9})]


@pytest.mark.parametrize("opt_name,opt_kwargs", OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
@pytest.mark.parametrize("writer", ["torch", "dualgrad"])
def test_module_and_optimizer_state_dicts_cross_over(writer, opt_name, opt_kwargs):
    """Train two steps in ``writer``, save model and optimizer state, load them into the other
    library, train one more step in both: the same parameters and outputs."""
    src, dst = (torch, dualgrad) if writer == "torch" else (dualgrad, torch)
    if writer == "torch":
        torch.manual_seed(0)
    model = _model(src)
    opt = getattr(src.optim, opt_name)(model.parameters(), **opt_kwargs)
    _train_steps(src, model, opt, src.tensor(X), 2)
    buf = io.BytesIO()
    src.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 2}, buf)
    buf.seek(0)
    ckpt = dst.load(buf, weights_only=True)
    assert ckpt["epoch"] == 2
    other = _model(dst)
    other.load_state_dict(ckpt["model"])
    other_opt = getattr(dst.optim, opt_name)(other.parameters(), **opt_kwargs)
    other_opt.load_state_dict(ckpt["opt"])
    _train_steps(src, model, opt, src.tensor(X), 1)
    _train_steps(dst, other, other_opt, dst.tensor(X), 1)
    mine = {k: np.asarray(v.detach()) for k, v in model.state_dict().items()}
    theirs = {k: np.asarray(v.detach()) for k, v in other.state_dict().items()}
    assert mine.keys() == theirs.keys()
    for k in mine:
        np.testing.assert_allclose(mine[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)
    model.eval()
    other.eval()
    np.testing.assert_allclose(
        np.asarray(model(src.tensor(X)).detach()),
        np.asarray(other(dst.tensor(X)).detach()),
        rtol=1e-5,
        atol=1e-6,
    )


# (name, how to open the file for writing, how for reading)
FILES = [
    ("str path", lambda p: str(p), lambda p: str(p)),
    ("pathlib path", lambda p: p, lambda p: p),
    ("file object", lambda p: open(p, "wb"), lambda p: open(p, "rb")),  # noqa: SIM115
]


@pytest.mark.parametrize("how", FILES, ids=[f[0] for f in FILES])
def test_paths_and_file_objects(tmp_path, how):
    _, for_write, for_read = how
    path = tmp_path / "model.pt"
    obj = {"w": dualgrad.tensor([1.5, -2.0])}
    f = for_write(path)
    dualgrad.save(obj, f)
    if hasattr(f, "close"):
        f.close()
    # torch names the archive's folder after the file, and so does dualgrad
    folder = "model" if not hasattr(f, "close") else "archive"
    assert f"{folder}/data.pkl" in zipfile.ZipFile(path).namelist()
    _same(torch.load(path, weights_only=True)["w"], torch.tensor([1.5, -2.0]))
    torch.save({"w": torch.tensor([3.0])}, path)
    f = for_read(path)
    loaded = dualgrad.load(f)
    if hasattr(f, "close"):
        f.close()
    _same(loaded["w"], torch.tensor([3.0]))


@pytest.mark.parametrize(
    "map_location",
    ["cpu", "cpu:0", dualgrad.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage],
    ids=["str", "str index", "device", "dict", "callable"],
)
def test_map_location_cpu(map_location):
    buf = io.BytesIO()
    torch.save([torch.tensor([1.0, 2.0])], buf)
    buf.seek(0)
    _same(dualgrad.load(buf, map_location=map_location)[0], torch.tensor([1.0, 2.0]))


def test_map_location_cuda_refused_as_by_cpu_only_torch():
    buf = io.BytesIO()
    torch.save([torch.tensor([1.0])], buf)
    for m in (torch, dualgrad):
        buf.seek(0)
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
            m.load(buf, map_location="cuda")


def _archive(pickled: bytes, records=()) -> io.BytesIO:
    """A zip laid out as torch's, around the given pickle."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickled)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
        for name, data in records:
            z.writestr(f"archive/{name}", data)
    buf.seek(0)
    return buf


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_weights_only_refuses_code_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    crafted = _archive(pickle.dumps({"w": _RunsCode(marker)}, protocol=2))
    for m in (torch, dualgrad):
        crafted.seek(0)
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed") as err:
            m.load(crafted)
        assert "system" in str(err.value)
        crafted.seek(0)
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            m.load(crafted, weights_only=True)
    assert not marker.exists()  # refused before anything was called


@pytest.mark.parametrize(
    "value,global_name",
    [
        (__import__("fractions").Fraction(1, 3), "fractions.Fraction"),
        (pathlib.PurePosixPath("a"), "pathlib.PurePosixPath"),
        (np.float64(1.5), "numpy"),
    ],
    ids=["Fraction", "PurePosixPath", "numpy scalar"],
)
def test_weights_only_refuses_other_globals_and_full_load_accepts_them(value, global_name):
    crafted = _archive(pickle.dumps([value], protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed") as err:
        dualgrad.load(crafted)
    assert global_name in str(err.value)
    crafted.seek(0)
    assert dualgrad.load(crafted, weights_only=False) == [value]
    crafted.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(crafted)


def test_crafted_geometry_cannot_read_past_its_storage():
    buf = io.BytesIO()
    torch.save(torch.arange(4.0), buf)
    z = zipfile.ZipFile(buf)
    pkl = z.read("archive/data.pkl")
    # the size (4,) becomes (40,): ten times the storage's elements
    bad = pkl.replace(b"K\x04\x85", b"K(\x85")
    assert bad != pkl
    crafted = _archive(bad, [("data/0", z.read("archive/data/0"))])
    with pytest.raises(pickle.UnpicklingError, match="reaches past its storage"):
        dualgrad.load(crafted)


def test_torch_checkpoint_loads_without_torch(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t(), "n": torch.tensor(7)}, path)
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any import of torch now fails
        "import dualgrad\n"
        f"d = dualgrad.load({str(path)!r})\n"
        "assert 'torch' not in sys.modules or sys.modules['torch'] is None\n"
        "print(d['w'].tolist(), d['n'].item())\n"
    )
    root = pathlib.Path(dualgrad.__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert out.stdout.split() == "[[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]] 7".split()


def test_not_a_zip_checkpoint():
    for m in (dualgrad,):
        with pytest.raises(RuntimeError, match="not a PyTorch zip checkpoint"):
            m.load(io.BytesIO(pickle.dumps([1])))
