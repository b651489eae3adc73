"""Does each of torch's most used names behave as torch's? One smoke call per name, run twice.

``SMOKE`` maps a name of ../shared/api-usage.tsv to a short snippet written against a module
called ``torch``, like a notebook cell: statements, then an expression whose value is the result.
``check`` runs the snippet with ``torch`` bound to PyTorch and again bound to dualgrad and
compares the two results structurally (``same``). ``tools/api_coverage.py --behaviour`` weighs
the outcome by usage; tests/test_api_coverage.py holds the figure.

Snippets are deterministic: inputs come from arange/linspace/literals; a random function is
compared by shape and dtype only (``torch.rand(3, 4).shape``); a module or an optimizer by its type
name, so its snippet goes on to something comparable (parameter shapes, a gradient, an lr).

    >>> import dualgrad
    >>> check("torch.zeros", dualgrad, dualgrad)
    ('ok', '')
"""

from __future__ import annotations

import ast
import math
import warnings

import numpy as np

# NOTE: [smoke snippets that raise] a name listed here has a snippet that must raise: torch
# raises, and dualgrad must raise an exception of the same type (by name; a subclass counts, as an
# ``except`` clause would catch it). Any other snippet that raises under torch is a broken snippet
# and counts as "snippet error", never as agreement.
RAISES = {
    "Tensor.cuda",
    "Tensor.pin_memory",  # a CPU-only build has no pinned memory
    "Tensor.record_stream",  # needs a CUDA stream, which a CPU-only build cannot make
    "torch.symeig",  # removed in torch 1.9 (a RuntimeError that says so)
    "torch.solve",
    "Tensor.solve",
}

# helpers every snippet may use, written against the bound module: deterministic inputs
# (``lin(2, 3)``: values spread over [-1, 1]) and deterministic parameters (``fill(module)``)
PRELUDE = """
import importlib

def sub(path):
    # a submodule of the bound module: sub('torch.optim.optimizer'). An import statement in a
    # snippet would always reach the real torch, whatever the snippet's ``torch`` is bound to.
    return importlib.import_module(torch.__name__ + path[len('torch'):])

def lin(*shape, lo=-1.0, hi=1.0):
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(lo, hi, n).reshape(shape)

def fill(m):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape))
    return m

def train(make_opt, steps=3):
    m = fill(torch.nn.Linear(2, 1))
    opt = make_opt(m.parameters())
    for _ in range(steps):
        opt.zero_grad()
        m(lin(3, 2)).pow(2).sum().backward()
        opt.step()
    return list(m.parameters())

def lrs(make_sched, steps=6, lr=0.1):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make_sched(opt)
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out

def grad_of(f, *shape):
    x = lin(*shape).requires_grad_()
    f(x).sum().backward()
    return x.grad
"""

SMOKE: dict[str, str] = {}


def run(src: str, torch):
    """Execute ``src`` with ``torch`` bound to the given module; return the last expression's
    value (None if the snippet ends with a statement)."""
    tree = ast.parse(src)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    env = {"torch": torch, "np": np, "math": math}
    with warnings.catch_warnings():
        # deprecated names (Variable, clip_grad_norm, ...) warn in torch; their use is the point
        warnings.simplefilter("ignore")
        exec(PRELUDE, env)
        exec(compile(tree, "<smoke>", "exec"), env)
        if last is None:
            return None
        return eval(compile(ast.Expression(last.value), "<smoke>", "eval"), env)


def _is_tensor(x) -> bool:
    # torch.Tensor, dualgrad.Tensor, and their subclasses (Parameter)
    return any(c.__name__ == "Tensor" for c in type(x).__mro__) and hasattr(x, "dtype")


def _dtype_name(d) -> str:
    return str(d).rsplit(".", 1)[-1]


def _values(t):
    t = t.detach()
    if str(t.device) == "meta":
        return None
    return np.asarray(t.tolist(), dtype=object if t.dtype.is_complex else None)


def same(a, b, path: str = "result") -> str:
    """'' when the torch result ``a`` and the dualgrad result ``b`` agree, else what differs."""
    if _is_tensor(a) or _is_tensor(b):
        if not (_is_tensor(a) and _is_tensor(b)):
            return f"{path}: {type(a).__name__} vs {type(b).__name__}"
        if _dtype_name(a.dtype) != _dtype_name(b.dtype):
            return f"{path}: dtype {_dtype_name(a.dtype)} vs {_dtype_name(b.dtype)}"
        if tuple(a.shape) != tuple(b.shape):
            return f"{path}: shape {tuple(a.shape)} vs {tuple(b.shape)}"
        if str(a.device) != str(b.device):
            return f"{path}: device {a.device} vs {b.device}"
        va, vb = _values(a), _values(b)
        if va is None or va.size == 0:
            return ""
        if va.dtype == bool or va.dtype.kind in "iu":
            ok = np.array_equal(va, vb)
        else:
            ok = np.allclose(va, vb, rtol=1e-4, atol=1e-6, equal_nan=True)
        return "" if ok else f"{path}: values {va.ravel()[:6]} vs {vb.ravel()[:6]}"
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if a is None or b is None or isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return "" if a == b and type(a) is type(b) else f"{path}: {a!r} vs {b!r}"
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        if isinstance(a, (int, np.integer)) != isinstance(b, (int, np.integer)):
            return f"{path}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"
        ok = a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5)
        return "" if ok else f"{path}: {a!r} vs {b!r}"
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{path}: array {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        ok = np.array_equal(a, b) or np.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=True)
        return "" if ok else f"{path}: array values differ"
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if isinstance(a, list) != isinstance(b, list):
            return f"{path}: {type(a).__name__} vs {type(b).__name__}"
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
        return next(
            (d for i, (x, y) in enumerate(zip(a, b)) if (d := same(x, y, f"{path}[{i}]"))), ""
        )
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} vs {list(b)}"
        return next((d for k in a if (d := same(a[k], b[k], f"{path}[{k!r}]"))), "")
    if type(a).__name__ in (
        "dtype",
        "device",
    ):  # compared by name: torch.float32 ~ dualgrad.float32
        return (
            "" if str(a).rsplit(".", 1)[-1] == str(b).rsplit(".", 1)[-1] else f"{path}: {a} vs {b}"
        )
    # modules, optimizers, distributions, other objects: by type name only
    if type(a).__name__ != type(b).__name__:
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    return ""


def _reset(torch) -> None:
    # snippets restore what they change; this is the safety net so one cannot leak into the next
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    # Module.compile imports torch._dynamo, which turns off distributions' argument validation
    # for the whole process (found when tests/test_distributions.py ran after this table)
    torch.distributions.Distribution.set_default_validate_args(__debug__)


def check(name: str, torch, dualgrad) -> tuple[str, str]:
    """(status, detail) for one name: status 'ok', 'fail', 'no snippet' or 'snippet error'."""
    src = SMOKE.get(name)
    if src is None:
        return "no snippet", ""
    results = []
    for mod in (torch, dualgrad):
        rng = mod.get_rng_state()  # snippets seed and draw: leave the caller's stream as it was
        try:
            results.append(run(src, mod))
        except Exception as e:  # the comparison below decides what an exception means
            results.append(e)
        finally:
            mod.set_rng_state(rng)
            _reset(mod)
    a, b = results
    if isinstance(a, Exception):
        if name not in RAISES:
            return "snippet error", f"torch raised {type(a).__name__}: {a}"
        caught = isinstance(b, Exception) and any(
            c.__name__ == type(a).__name__ for c in type(b).__mro__
        )
        if caught:
            return "ok", ""
        got = f"{type(b).__name__}: {b}" if isinstance(b, Exception) else f"no error ({b!r:.60})"
        return "fail", f"torch raises {type(a).__name__}, dualgrad {got}"
    if name in RAISES:
        return "snippet error", "torch did not raise"
    if isinstance(b, Exception):
        return "fail", f"dualgrad raised {type(b).__name__}: {str(b)[:150]}"
    diff = same(a, b)
    return ("fail", diff) if diff else ("ok", "")


def check_all(names, torch, dualgrad) -> dict[str, tuple[str, str]]:
    return {n: check(n, torch, dualgrad) for n in names}


# in the usage order of ../shared/api-usage.tsv
SMOKE.update(
    {
        "Tensor.shape": "torch.zeros(2, 3).shape",
        "torch.Tensor": "(torch.Tensor([1.5, 2]), torch.Tensor(2, 3).shape, isinstance(torch.ones(1), torch.Tensor))",
        "Tensor.to": "x = lin(2, 3); (x.to(torch.float64), x.to('cpu'), x.to(torch.zeros(1, dtype=torch.int64)), x.to('cpu', torch.int32))",
        "torch.nn.Module": """
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 3)
    def forward(self, x):
        return self.lin(x) * 2
m = fill(M())
(m(lin(4, 2)), [n for n, _ in m.named_parameters()], m.training)
""",
        "torch.nn.Linear": "m = fill(torch.nn.Linear(3, 2)); (m(lin(4, 3)), [p.shape for p in m.parameters()], torch.nn.Linear(3, 2, bias=False).bias)",
        "torch.tensor": "(torch.tensor([1, 2]), torch.tensor([1.5, 2.0]), torch.tensor(3.0), torch.tensor([True]), torch.tensor([[1, 2]], dtype=torch.float64), torch.tensor(np.arange(3)))",
        "Tensor.size": "x = torch.zeros(2, 3); (x.size(), x.size(1), x.size(-1))",
        "Tensor.view": "x = torch.arange(6.); (x.view(2, 3), x.view(-1, 2), x.view(6), x.view(torch.Size([3, 2])))",
        "Module.parameters": "m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)); [tuple(p.shape) for p in m.parameters()]",
        "Tensor.item": "(torch.tensor(2.5).item(), torch.tensor([3]).item(), torch.tensor(True).item())",
        "torch.randn": "(torch.randn(3, 4).shape, torch.randn(2, dtype=torch.float64).dtype, torch.randn((2, 2)).shape)",
        "Tensor.device": "(torch.zeros(2).device, str(torch.zeros(2).device), torch.zeros(2).device.type)",
        "Tensor.numpy": "torch.arange(4.).reshape(2, 2).numpy()",
        "torch.cat": "(torch.cat([lin(2, 3), lin(1, 3)]), torch.cat((lin(2, 1), lin(2, 2)), dim=1), torch.cat([lin(2), lin(3)], -1))",
        "torch.zeros": "(torch.zeros(2, 3), torch.zeros((2,), dtype=torch.int64), torch.zeros([]), torch.zeros(2, dtype=torch.bool))",
        "torch.nn.Sequential": "m = fill(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))); (m(lin(4, 2)), len(m), type(m[1]).__name__)",
        "torch.nn.Conv2d": "m = fill(torch.nn.Conv2d(2, 3, 3, padding=1, stride=2)); (m(lin(1, 2, 5, 5)), m.weight.shape)",
        "Tensor.unsqueeze": "x = lin(2, 3); (x.unsqueeze(0).shape, x.unsqueeze(-1).shape, x.unsqueeze(1))",
        "Tensor.reshape": "x = torch.arange(6); (x.reshape(2, 3), x.reshape(-1, 1), x.reshape((3, 2)))",
        "Tensor.sum": "x = lin(2, 3); (x.sum(), x.sum(0), x.sum(dim=1, keepdim=True), torch.arange(4).sum(), x.sum((0, 1)))",
        "torch.no_grad": """
x = torch.tensor([1.0], requires_grad=True)
with torch.no_grad():
    y = x * 2
@torch.no_grad()
def f(x):
    return x * 3
(y.requires_grad, f(x).requires_grad, (x * 2).requires_grad)
""",
        "Tensor.backward": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
g1 = x.grad.clone()
(x ** 3).backward(torch.tensor([1.0, 0.5]))
(g1, x.grad)
""",
        "Tensor.cpu": "x = lin(2); (x.cpu(), x.cpu().device)",
        "torch.device": "d = torch.device('cpu'); (str(d), d.type, d.index, d == torch.device('cpu'), str(torch.device('cuda', 1)), torch.device('cuda:0').index)",
        "Tensor.data": "x = torch.tensor([1.0, 2.0], requires_grad=True); d = x.data; d[0] = 5.0; (x.detach(), d.requires_grad)",
        "Tensor.detach": "x = torch.tensor([1.0, 2.0], requires_grad=True); y = (x * 2).detach(); (y, y.requires_grad, y.grad_fn)",
        "Tensor.dtype": "(torch.zeros(1).dtype, torch.zeros(1, dtype=torch.int64).dtype, torch.tensor([1]).dtype, torch.tensor([True]).dtype)",
        "Tensor.mean": "x = lin(2, 3); (x.mean(), x.mean(0), x.mean(dim=-1, keepdim=True), x.mean((0, 1)))",
        "torch.nn.Parameter": "p = torch.nn.Parameter(lin(2)); (p, p.requires_grad, type(p).__name__, torch.nn.Parameter(lin(2), requires_grad=False).requires_grad)",
        "Module.zero_grad": """
m = fill(torch.nn.Linear(2, 1))
m(lin(3, 2)).sum().backward()
g = m.weight.grad.clone()
m.zero_grad()
(g, m.weight.grad)
""",
        "Optimizer.step": """
m = fill(torch.nn.Linear(2, 1))
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
for _ in range(3):
    opt.zero_grad()
    m(lin(3, 2)).pow(2).sum().backward()
    opt.step()
list(m.parameters())
""",
        "torch.rand": "(torch.rand(3, 4).shape, torch.rand(2).dtype, bool(((torch.rand(100) >= 0) & (torch.rand(100) < 1)).all()))",
        "Tensor.float": "(torch.arange(3).float(), torch.tensor([True]).float())",
        "Module.state_dict": "m = fill(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))); m.state_dict()",
        "Module.eval": "m = torch.nn.Sequential(torch.nn.Dropout(0.5)); r = m.eval(); (r is m, m.training, m[0].training, m(lin(4)))",
        "Tensor.transpose": "x = lin(2, 3, 4); (x.transpose(0, 1), x.transpose(-1, -2).shape)",
        "torch.nn.BatchNorm2d": "m = fill(torch.nn.BatchNorm2d(2)); y = m(lin(2, 2, 2, 2)); (y, m.running_mean, m.running_var, m.num_batches_tracked, m.eval()(lin(1, 2, 2, 2)))",
        "torch.ones": "(torch.ones(2, 3), torch.ones((2,), dtype=torch.int32), torch.ones(1, dtype=torch.bool))",
        "Module.load_state_dict": """
a = fill(torch.nn.Linear(2, 2))
b = torch.nn.Linear(2, 2)
r = b.load_state_dict(a.state_dict())
(b.weight, b.bias, list(r.missing_keys), list(r.unexpected_keys))
""",
        "torch.nn.ReLU": "torch.nn.ReLU()(lin(5))",
        "torch.nn.functional.relu": "(torch.nn.functional.relu(lin(5)), grad_of(torch.nn.functional.relu, 5))",
        "Tensor.cuda": "torch.zeros(2).cuda()",
        "torch.from_numpy": "a = np.arange(4.0); t = torch.from_numpy(a); a[0] = 9; (t, torch.from_numpy(np.arange(3, dtype=np.int32)), torch.from_numpy(np.zeros(2, dtype=np.float32)))",
        "torch.utils.data.DataLoader": """
ds = torch.utils.data.TensorDataset(torch.arange(10.), torch.arange(10))
batches = list(torch.utils.data.DataLoader(ds, batch_size=4))
(batches, len(torch.utils.data.DataLoader(ds, batch_size=4, drop_last=True)))
""",
        "Tensor.clone": "x = lin(3); y = x.clone(); y[0] = 7.0; (x, y)",
        "Tensor.squeeze": "x = torch.zeros(1, 2, 1); (x.squeeze().shape, x.squeeze(0).shape, x.squeeze(-1).shape, x.squeeze(1).shape)",
        "torch.nn.ModuleList": "m = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)]); m.append(torch.nn.ReLU()); (len(m), len(list(m.parameters())), type(m[3]).__name__)",
        "torch.stack": "(torch.stack([lin(2), lin(2) * 2]), torch.stack((lin(2), lin(2)), dim=1), torch.stack([lin(2, 3)] * 2, -1).shape)",
        "torch.optim.Adam": """
m = fill(torch.nn.Linear(2, 1))
opt = torch.optim.Adam(m.parameters(), lr=0.01, weight_decay=0.1)
for _ in range(3):
    opt.zero_grad()
    m(lin(3, 2)).pow(2).sum().backward()
    opt.step()
(list(m.parameters()), opt.param_groups[0]['lr'], opt.param_groups[0]['betas'])
""",
        "Module.train": "m = torch.nn.Sequential(torch.nn.Dropout()); m.eval(); r = m.train(); (r is m, m.training, m[0].training, m.train(False).training)",
        "Tensor.copy_": "x = torch.zeros(2, 3); r = x.copy_(lin(3)); (x, r is x, torch.zeros(2, dtype=torch.int64).copy_(torch.tensor([1.7, 2.2])))",
        "torch.float32": "(torch.float32, torch.zeros(1, dtype=torch.float32).dtype, torch.float32.is_floating_point, torch.float32.itemsize)",
        "Tensor.permute": "x = lin(2, 3, 4); (x.permute(2, 0, 1), x.permute((1, 0, 2)).shape, x.permute(-1, 0, 1).shape)",
        "torch.manual_seed": "torch.manual_seed(0); a = torch.rand(3); torch.manual_seed(0); b = torch.rand(3); (bool(torch.equal(a, b)), type(torch.manual_seed(1)).__name__)",
        "torch.save": """
import io
buf = io.BytesIO()
torch.save({'w': lin(2, 2), 'n': 3, 'l': [torch.arange(3)]}, buf)
buf.seek(0)
torch.load(buf)
""",
        "Tensor.grad": "x = torch.tensor([1.0, 2.0], requires_grad=True); g0 = x.grad; (x ** 2).sum().backward(); (g0, x.grad)",
        "torch.randint": "(torch.randint(0, 10, (3, 4)).shape, torch.randint(5, (2,)).dtype, bool(((torch.randint(3, 6, (100,)) >= 3) & (torch.randint(3, 6, (100,)) < 6)).all()))",
        "torch.load": """
import io
buf = io.BytesIO()
m = fill(torch.nn.Linear(2, 2))
torch.save(m.state_dict(), buf)
buf.seek(0)
torch.load(buf, weights_only=True)
""",
        "torch.arange": "(torch.arange(5), torch.arange(1, 4), torch.arange(0, 1, 0.25), torch.arange(3.0), torch.arange(2, dtype=torch.float64), torch.arange(5, 0, -2))",
        "torch.FloatTensor": "(torch.FloatTensor([1, 2]), torch.FloatTensor(2, 3).shape, isinstance(torch.zeros(1), torch.FloatTensor))",
        "torch.nn.Dropout": "m = torch.nn.Dropout(0.3); y = m(torch.ones(1000)); (m.eval()(lin(3)), y.shape, bool(((y == 0) | ((y - 1 / 0.7).abs() < 1e-6)).all()), m.p)",
        "torch.nn.LayerNorm": "m = fill(torch.nn.LayerNorm(3)); (m(lin(2, 3) ** 2), m.weight.shape, m(lin(2, 3)).shape, torch.nn.LayerNorm([2, 3], elementwise_affine=False)(lin(2, 2, 3) ** 3))",
        "torch.float64": "(torch.float64, torch.zeros(1, dtype=torch.float64).dtype, torch.float64 == torch.double)",
        "Module.register_buffer": """
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('b', torch.arange(3.0))
        self.register_buffer('t', torch.ones(1), persistent=False)
m = M()
(m.b, list(m.state_dict()), [n for n, _ in m.named_buffers()], list(m.parameters()))
""",
        "torch.autograd.Variable": "v = torch.autograd.Variable(lin(2), requires_grad=True); (v * v).sum().backward(); (v.grad, type(v).__name__)",
        "Tensor.requires_grad": "x = torch.zeros(2); y = torch.zeros(2, requires_grad=True); (x.requires_grad, y.requires_grad, (y * 2).requires_grad)",
        "Tensor.repeat": "x = torch.arange(3); (x.repeat(2), x.repeat(2, 2), lin(2, 1).repeat(1, 3))",
        "Tensor.flatten": "x = lin(2, 3, 4); (x.flatten().shape, x.flatten(1).shape, x.flatten(0, 1).shape, x.flatten(-2))",
        "torch.zeros_like": "(torch.zeros_like(lin(2, 3)), torch.zeros_like(torch.arange(3)), torch.zeros_like(lin(2), dtype=torch.int64))",
        "torch.Size": "s = torch.Size([2, 3]); (s, s[0], len(s), s.numel(), s == (2, 3), type(torch.zeros(2).shape).__name__, tuple(s[1:]))",
        "torch.long": "(torch.long, torch.long == torch.int64, torch.zeros(1).long().dtype)",
        "Tensor.max": "x = lin(2, 3) ** 2; (x.max(), tuple(x.max(0)), x.max(dim=1).values, x.max(1, keepdim=True).indices, x.max(torch.zeros(2, 3)))",
        "Tensor.norm": "x = lin(2, 3); (x.norm(), x.norm(dim=1), x.norm(p=1), x.norm(2, dim=0, keepdim=True), x.norm(p='fro'))",
        "Tensor.numel": "(torch.zeros(2, 3).numel(), torch.tensor(1.0).numel(), torch.zeros(0, 3).numel())",
        "Module.apply": """
m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
def init(mod):
    if isinstance(mod, torch.nn.Linear):
        torch.nn.init.constant_(mod.weight, 0.5)
        torch.nn.init.zeros_(mod.bias)
r = m.apply(init)
(r is m, m(lin(3, 2)))
""",
        "Tensor.tolist": "(torch.arange(4).reshape(2, 2).tolist(), lin(3).tolist(), torch.tensor(2.5).tolist(), torch.tensor([True, False]).tolist())",
        "torch.einsum": "a, b = lin(2, 3), lin(3, 4); (torch.einsum('ij,jk->ik', a, b), torch.einsum('ii', lin(3, 3)), torch.einsum('bi,bi->b', a, a), torch.einsum('ij->ji', a), torch.einsum('i,j', lin(2), lin(3)))",
        "torch.nn.Embedding": "m = fill(torch.nn.Embedding(5, 3, padding_idx=0)); (m(torch.tensor([[1, 4], [0, 2]])), m.weight.shape, m.num_embeddings, m.embedding_dim)",
        "torch.linspace": "(torch.linspace(0, 1, 5), torch.linspace(-1, 1, steps=3, dtype=torch.float64), torch.linspace(0, 10, 1))",
        "Tensor.ndim": "(torch.zeros(2, 3).ndim, torch.tensor(1.0).ndim)",
        "torch.exp": "(torch.exp(lin(4)), grad_of(torch.exp, 3), torch.exp(torch.arange(3)))",
        "torch.sum": "x = lin(2, 3); (torch.sum(x), torch.sum(x, 0), torch.sum(x, dim=1, keepdim=True), torch.sum(torch.tensor([True, True, False])), torch.sum(torch.arange(4), dtype=torch.float64))",
        "Tensor.pow": "x = lin(4); (x.pow(2), x.pow(3.0), torch.arange(4).pow(2), (x + 2).pow(0.5), grad_of(lambda x: x.pow(3), 4))",
        "torch.mean": "x = lin(2, 3); (torch.mean(x), torch.mean(x, 1), torch.mean(x, dim=0, keepdim=True), torch.mean(x, dtype=torch.float64))",
        "Tensor.expand": "x = lin(3, 1); (x.expand(3, 4), x.expand(2, -1, 2).shape, lin(3).expand(torch.Size([2, 3])))",
        "Tensor.contiguous": "x = lin(2, 3).t(); (x.is_contiguous(), x.contiguous().is_contiguous(), x.contiguous())",
        "Tensor.clamp": "x = lin(5); (x.clamp(-0.5, 0.5), x.clamp(min=0), x.clamp(max=0.2), torch.arange(5).clamp(1, 3), grad_of(lambda x: x.clamp(-0.5, 0.5), 5))",
        "Tensor.long": "(torch.tensor([1.7, -1.7]).long(), torch.tensor([True]).long())",
        "Tensor.type": "x = lin(2); (x.type(), x.type(torch.float64), x.type('torch.LongTensor'), torch.arange(2).type())",
        "torch.nn.init.normal_": "w = torch.empty(30, 40); r = torch.nn.init.normal_(w, mean=3.0, std=0.01); (r is w, w.shape, bool((w.mean() - 3).abs() < 0.01))",
        "torch.as_tensor": "a = np.arange(3.0); t = torch.as_tensor(a); a[0] = 5; (t, torch.as_tensor([1, 2]), torch.as_tensor([1, 2], dtype=torch.float32), torch.as_tensor(lin(2)))",
        "Tensor.t": "(lin(2, 3).t(), lin(3).t())",
        "torch.nn.LeakyReLU": "(torch.nn.LeakyReLU()(lin(5)), torch.nn.LeakyReLU(0.2)(lin(5)))",
        "Tensor.zero_": "x = lin(3); r = x.zero_(); (x, r is x)",
        "torch.optim.SGD": """
m = fill(torch.nn.Linear(2, 1))
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
for _ in range(3):
    opt.zero_grad()
    m(lin(3, 2)).pow(2).sum().backward()
    opt.step()
(list(m.parameters()), opt.param_groups[0]['lr'])
""",
        "Module.named_parameters": "m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)); [(n, tuple(p.shape)) for n, p in m.named_parameters()]",
        "torch.sqrt": "(torch.sqrt(torch.arange(4.0)), torch.sqrt(torch.arange(4)), grad_of(lambda x: torch.sqrt(x + 2), 3), torch.sqrt(torch.tensor(-1.0)))",
        "torch.nn.Identity": "m = torch.nn.Identity(3, foo=1); (m(lin(3)), list(m.parameters()))",
        "torch.nn.CrossEntropyLoss": "(torch.nn.CrossEntropyLoss()(lin(4, 3), torch.tensor([0, 2, 1, 2])), torch.nn.CrossEntropyLoss(reduction='none', label_smoothing=0.1)(lin(4, 3), torch.tensor([0, 2, 1, 2])), torch.nn.CrossEntropyLoss(ignore_index=1)(lin(4, 3), torch.tensor([0, 1, 1, 2])))",
        "torch.float": "(torch.float, torch.float == torch.float32)",
        "Tensor.exp": "(lin(3).exp(), grad_of(lambda x: x.exp(), 3))",
        "Tensor.dim": "(torch.zeros(2, 3).dim(), torch.tensor(1).dim())",
        "torch.allclose": "(torch.allclose(lin(3), lin(3) + 1e-9), torch.allclose(lin(3), lin(3) + 1e-3), torch.allclose(lin(3), lin(3) + 0.1, atol=0.2), torch.allclose(torch.tensor([float('nan')]), torch.tensor([float('nan')]), equal_nan=True))",
        "Tensor.all": "x = torch.tensor([[True, False], [True, True]]); (x.all(), x.all(0), x.all(dim=1), torch.arange(3).all())",
        "torch.autograd.grad": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x ** 3).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
(g2,) = torch.autograd.grad(g.sum(), [x])
(g, g2, torch.autograd.grad((x * 2).sum(), x, grad_outputs=torch.tensor(3.0)))
""",
        "torch.sin": "(torch.sin(lin(4)), grad_of(torch.sin, 4))",
        "Tensor.argmax": "x = lin(2, 3) ** 2; (x.argmax(), x.argmax(0), x.argmax(dim=1, keepdim=True))",
        "torch.max": "x = lin(2, 3) ** 2; (torch.max(x), tuple(torch.max(x, 1)), torch.max(x, dim=0, keepdim=True).values, torch.max(x, torch.full((2, 3), 0.3)))",
        "torch.randn_like": "x = lin(2, 3); (torch.randn_like(x).shape, torch.randn_like(x, dtype=torch.float64).dtype)",
        "Tensor.min": "x = lin(2, 3) ** 2; (x.min(), tuple(x.min(1)), x.min(dim=0).indices, x.min(torch.full((2, 3), 0.3)))",
        "Tensor.T": "(lin(2, 3).T, lin(3).T)",
        "Tensor.requires_grad_": "x = lin(2); r = x.requires_grad_(); (r is x, x.requires_grad, x.requires_grad_(False).requires_grad)",
        "Tensor.abs": "(lin(4).abs(), torch.tensor([-2, 3]).abs(), grad_of(lambda x: x.abs(), 4))",
        "torch.empty": "(torch.empty(2, 3).shape, torch.empty(2, dtype=torch.int64).dtype, torch.empty((0,)).shape)",
        "torch.log": "(torch.log(torch.arange(1.0, 4.0)), grad_of(lambda x: torch.log(x + 2), 3), torch.log(torch.tensor([0.0, -1.0])))",
        "torch.cos": "(torch.cos(lin(4)), grad_of(torch.cos, 4))",
        "Tensor.mul": "(lin(3).mul(2), lin(3).mul(lin(3)), torch.arange(3).mul(2.5), lin(2, 1).mul(lin(3)))",
        "torch.nn.Tanh": "torch.nn.Tanh()(lin(5))",
        "Tensor.add_": "x = lin(3); r = x.add_(1); x.add_(lin(3), alpha=2); (x, r is x)",
        "Tensor.mul_": "x = lin(3); r = x.mul_(2); x.mul_(lin(3)); (x, r is x)",
        "torch.utils.data.Dataset": """
class D(torch.utils.data.Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):
        return torch.tensor(float(i)), i
list(torch.utils.data.DataLoader(D(), batch_size=3))
""",
        "torch.nn.MSELoss": "(torch.nn.MSELoss()(lin(4), lin(4) ** 2), torch.nn.MSELoss(reduction='sum')(lin(4), torch.zeros(4)), torch.nn.MSELoss(reduction='none')(lin(2), torch.ones(2)))",
        "torch.nn.functional.softmax": "(torch.nn.functional.softmax(lin(2, 3), dim=1), torch.nn.functional.softmax(lin(2, 3), 0), torch.nn.functional.softmax(lin(3), dim=-1, dtype=torch.float64))",
        "torch.nn.init.constant_": "w = torch.empty(2, 3); r = torch.nn.init.constant_(w, 0.3); (w, r is w)",
        "Tensor.mm": "(lin(2, 3).mm(lin(3, 4)), grad_of(lambda x: x.mm(lin(3, 2)), 2, 3))",
        "Tensor.fill_": "x = torch.zeros(2, 3); r = x.fill_(1.5); (x, r is x, torch.zeros(2, dtype=torch.int64).fill_(2.7))",
        "torch.nn.functional.mse_loss": "(torch.nn.functional.mse_loss(lin(4), lin(4) ** 2), torch.nn.functional.mse_loss(lin(3), torch.zeros(3), reduction='sum'), grad_of(lambda x: torch.nn.functional.mse_loss(x, torch.ones(4)), 4))",
        "torch.nn.functional.interpolate": "x = lin(1, 1, 2, 3); F = torch.nn.functional; (F.interpolate(x, scale_factor=2), F.interpolate(x, size=(3, 4), mode='bilinear', align_corners=False), F.interpolate(x, size=(4, 5), mode='bilinear', align_corners=True), F.interpolate(lin(1, 2, 4), scale_factor=2, mode='linear'))",
        "torch.nn.functional.cross_entropy": "F = torch.nn.functional; t = torch.tensor([0, 2, 1]); (F.cross_entropy(lin(3, 3), t), F.cross_entropy(lin(3, 3), t, reduction='none'), F.cross_entropy(lin(3, 3), torch.softmax(lin(3, 3).t(), 1)), F.cross_entropy(lin(3, 3), t, weight=torch.tensor([1.0, 2.0, 3.0])), grad_of(lambda x: F.cross_entropy(x, t), 3, 3))",
        "torch.equal": "(torch.equal(lin(3), lin(3)), torch.equal(lin(3), lin(3) + 1), torch.equal(lin(3), lin(2)))",
        "torch.nn.ConvTranspose2d": "m = fill(torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)); (m(lin(1, 2, 3, 3)), m.weight.shape)",
        "Tensor.sqrt": "(torch.arange(4.0).sqrt(), grad_of(lambda x: (x + 2).sqrt(), 3))",
        "torch.where": "x = lin(5); (torch.where(x > 0, x, torch.zeros(5)), torch.where(x > 0, x, 0.0), torch.where(x > 0), torch.where(torch.tensor([True, False]), 1, 0))",
        "torch.tanh": "(torch.tanh(lin(4)), grad_of(torch.tanh, 4))",
        "torch.nn.functional.pad": "F = torch.nn.functional; x = lin(1, 1, 2, 3); (F.pad(x, (1, 2)), F.pad(x, (1, 1, 2, 0), value=5.0), F.pad(x, (1, 1, 1, 1), mode='reflect'), F.pad(x, (2, 1, 1, 1), mode='replicate'), F.pad(x, (1, 1, 1, 1), mode='circular'))",
        "torch.optim.Optimizer": """
class Plain(torch.optim.Optimizer):
    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group['params']:
                p.data.add_(p.grad, alpha=-group['lr'])
m = fill(torch.nn.Linear(2, 1))
opt = Plain(m.parameters())
m(lin(3, 2)).sum().backward()
opt.step()
(list(m.parameters()), len(opt.param_groups), sorted(opt.param_groups[0]), isinstance(opt, torch.optim.Optimizer))
""",
        "Tensor.softmax": "(lin(2, 3).softmax(1), lin(2, 3).softmax(dim=0))",
        "torch.norm": "x = lin(2, 3); (torch.norm(x), torch.norm(x, dim=1), torch.norm(x, p=1), torch.norm(x, 'fro'), torch.norm(x, float('inf')))",
        "torch.min": "x = lin(2, 3) ** 2; (torch.min(x), tuple(torch.min(x, 1)), torch.min(x, dim=0, keepdim=True).values, torch.min(x, torch.full((2, 3), 0.3)))",
        "torch.abs": "(torch.abs(lin(4)), torch.abs(torch.tensor([-2, 3])))",
        "torch.eye": "(torch.eye(3), torch.eye(2, 3), torch.eye(2, dtype=torch.int64))",
        "Tensor.log": "(torch.arange(1.0, 4.0).log(), grad_of(lambda x: (x + 2).log(), 3))",
        "torch.nn.GELU": "(torch.nn.GELU()(lin(5)), torch.nn.GELU(approximate='tanh')(lin(5)))",
        "torch.is_tensor": "(torch.is_tensor(lin(2)), torch.is_tensor(np.zeros(2)), torch.is_tensor(1.0), torch.is_tensor(torch.nn.Parameter(lin(2))))",
        "Tensor.chunk": "x = torch.arange(7); (x.chunk(3), lin(2, 4).chunk(2, dim=1), x.chunk(10))",
        "torch.matmul": "(torch.matmul(lin(2, 3), lin(3, 4)), torch.matmul(lin(3), lin(3)), torch.matmul(lin(2, 2, 3), lin(3)), torch.matmul(lin(2, 1, 2, 3), lin(3, 3, 2)).shape, torch.matmul(input=lin(2, 3), other=lin(3)))",
        "Tensor.normal_": "x = torch.empty(40, 50); r = x.normal_(2.0, 0.01); (r is x, bool((x.mean() - 2).abs() < 0.01), x.shape)",
        "torch.LongTensor": "(torch.LongTensor([1, 2]), torch.LongTensor(2, 3).shape, isinstance(torch.arange(2), torch.LongTensor))",
        "torch.nn.MaxPool2d": "x = lin(1, 2, 5, 5) ** 2; (torch.nn.MaxPool2d(2)(x), torch.nn.MaxPool2d(3, stride=2, padding=1)(x), torch.nn.MaxPool2d(2, ceil_mode=True)(x))",
        "torch.sigmoid": "(torch.sigmoid(lin(4)), grad_of(torch.sigmoid, 4))",
        "torch.float16": "(torch.float16, lin(3).to(torch.float16), torch.float16.itemsize)",
        "Tensor.sigmoid": "lin(4).sigmoid()",
        "torch.nn.utils.clip_grad_norm_": """
m = fill(torch.nn.Linear(3, 2))
m(lin(4, 3)).pow(2).sum().backward()
n = torch.nn.utils.clip_grad_norm_(m.parameters(), max_norm=0.5)
(n, m.weight.grad, m.bias.grad)
""",
        "Tensor.any": "x = torch.tensor([[True, False], [False, False]]); (x.any(), x.any(0), x.any(dim=1), torch.zeros(2).any())",
        "torch.full": "(torch.full((2, 3), 1.5), torch.full((2,), 7), torch.full((2,), True), torch.full((1, 2), 2, dtype=torch.float64))",
        "torch.nn.GroupNorm": "m = fill(torch.nn.GroupNorm(2, 4)); (m(lin(2, 4, 3) ** 2), m.weight.shape)",
        "torch.optim.AdamW": """
m = fill(torch.nn.Linear(2, 1))
opt = torch.optim.AdamW(m.parameters(), lr=0.01)
for _ in range(3):
    opt.zero_grad()
    m(lin(3, 2)).pow(2).sum().backward()
    opt.step()
(list(m.parameters()), opt.param_groups[0]['weight_decay'])
""",
        "torch.nn.init.zeros_": "w = lin(2, 3); r = torch.nn.init.zeros_(w); (w, r is w)",
        "torch.clamp": "x = lin(5); (torch.clamp(x, -0.5, 0.5), torch.clamp(x, min=0.1), torch.clamp(x, max=torch.zeros(5)))",
        "torch.nn.Conv1d": "m = fill(torch.nn.Conv1d(2, 3, 3, padding=1, dilation=1, groups=1)); (m(lin(2, 2, 6)), torch.nn.Conv1d(4, 4, 3, groups=2, padding='same').weight.shape)",
        "torch.ones_like": "(torch.ones_like(lin(2, 3)), torch.ones_like(torch.arange(3)), torch.ones_like(lin(2), dtype=torch.bool))",
        "Tensor.type_as": "(torch.arange(3).type_as(lin(1)), lin(3).type_as(torch.arange(1)))",
        "Tensor.uniform_": "x = torch.empty(1000); r = x.uniform_(-2, 3); (r is x, bool(x.min() >= -2), bool(x.max() < 3), x.dtype)",
        "torch.nn.BatchNorm1d": "m = fill(torch.nn.BatchNorm1d(3)); y = m(lin(4, 3) ** 2); (y, m.running_mean, m.running_var, m.eval()(lin(2, 3)), fill(torch.nn.BatchNorm1d(2))(lin(2, 2, 3) ** 2))",
        "torch.bfloat16": "(torch.bfloat16, lin(3).to(torch.bfloat16).dtype, torch.bfloat16.itemsize)",
        "torch.mm": "torch.mm(lin(2, 3), lin(3, 2))",
        "torch.isnan": "torch.isnan(torch.tensor([1.0, float('nan'), float('inf')]))",
        "Module.register_forward_hook": """
m = fill(torch.nn.Linear(2, 2))
seen = []
h = m.register_forward_hook(lambda mod, inp, out: seen.append((type(mod).__name__, inp[0].shape, out.detach())))
m(lin(1, 2))
h.remove()
m(lin(1, 2))
seen
""",
        "torch.nn.SiLU": "torch.nn.SiLU()(lin(5))",
        "torch.Generator": "g = torch.Generator().manual_seed(3); a = torch.rand(3, generator=g); g.manual_seed(3); b = torch.rand(3, generator=g); (bool(torch.equal(a, b)), g.initial_seed(), type(g).__name__)",
        "torch.bool": "(torch.bool, torch.zeros(1, dtype=torch.bool), torch.bool.is_floating_point)",
        "torch.nn.Sigmoid": "torch.nn.Sigmoid()(lin(5))",
        "Tensor.half": "lin(3).half()",
        "torch.flatten": "(torch.flatten(lin(2, 3, 2)), torch.flatten(lin(2, 3, 2), 1), torch.flatten(lin(2, 3, 2), start_dim=0, end_dim=1).shape)",
        "torch.nn.functional.avg_pool2d": "F = torch.nn.functional; x = lin(1, 2, 5, 5); (F.avg_pool2d(x, 2), F.avg_pool2d(x, 3, stride=2, padding=1), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), F.avg_pool2d(x, 2, ceil_mode=True))",
        "Tensor.relu": "lin(5).relu()",
        "Tensor.masked_fill": "x = lin(5); (x.masked_fill(x > 0, 0.0), x.masked_fill(torch.tensor([True, False, False, False, True]), float('-inf')), lin(2, 3).masked_fill(torch.tensor([True, False, True]), 1.0))",
        "torch.utils.data.TensorDataset": "ds = torch.utils.data.TensorDataset(torch.arange(6.).reshape(3, 2), torch.arange(3)); (len(ds), ds[1], ds[0:2], len(ds.tensors))",
        "torch.distributions.Normal": "d = torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])); (d.log_prob(torch.tensor([0.5, 0.5])), d.mean, d.stddev, d.entropy(), d.cdf(torch.tensor([0.0, 2.0])), d.sample().shape, d.rsample((3,)).shape, d.batch_shape)",
        "torch.unsqueeze": "(torch.unsqueeze(lin(3), 0), torch.unsqueeze(lin(3), dim=-1).shape)",
        "Tensor.expand_as": "lin(3, 1).expand_as(torch.zeros(3, 4))",
        "torch.testing.assert_close": """
torch.testing.assert_close(lin(3), lin(3) + 1e-7)
torch.testing.assert_close(torch.arange(2), torch.arange(2))
try:
    torch.testing.assert_close(lin(3), lin(3) + 0.5)
    r = None
except AssertionError as e:
    r = str(e).splitlines()[0]
r
""",
        "torch.softmax": "(torch.softmax(lin(2, 3), 1), torch.softmax(lin(2, 3), dim=0))",
        "Tensor.eq": "(lin(3).eq(lin(3)), torch.arange(3).eq(1), lin(3).eq(0.0))",
        "torch.nn.AvgPool2d": "x = lin(1, 2, 4, 4); (torch.nn.AvgPool2d(2)(x), torch.nn.AvgPool2d(3, stride=1, padding=1)(x))",
        "torch.nn.functional.normalize": "F = torch.nn.functional; (F.normalize(lin(2, 3)), F.normalize(lin(2, 3), dim=0), F.normalize(lin(2, 3), p=1, dim=1), F.normalize(torch.zeros(2, 3)))",
        "torch.pi": "torch.pi",
        "torch.all": "(torch.all(torch.tensor([True, False])), torch.all(torch.tensor([[True], [True]]), dim=0), torch.all(torch.arange(1, 3)))",
        "torch.autograd.Function": """
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g
x = lin(3).requires_grad_()
y = Cube.apply(x)
y.sum().backward()
(y, x.grad, type(y.grad_fn).__name__)
""",
        "Tensor.sin": "lin(4).sin()",
        "torch.randperm": "p = torch.randperm(10); (p.shape, p.dtype, sorted(p.tolist()))",
        "torch.nn.functional.log_softmax": "F = torch.nn.functional; (F.log_softmax(lin(2, 3), dim=1), F.log_softmax(lin(2, 3), 0), grad_of(lambda x: F.log_softmax(x, -1)[:, 0], 2, 3))",
        "Tensor.clamp_": "x = lin(5); r = x.clamp_(-0.5, 0.5); (x, r is x, lin(3).clamp_(min=0))",
    }
)

SMOKE.update(
    {
        "Module.register_backward_hook": """
m = fill(torch.nn.Linear(2, 2))
seen = []
m.register_backward_hook(lambda mod, gin, gout: seen.append(gout[0].detach()))
m(lin(1, 2)).sum().backward()
seen
""",
        "torch.nn.Flatten": "(torch.nn.Flatten()(lin(2, 3, 2)).shape, torch.nn.Flatten(0, -1)(lin(2, 3)).shape, torch.nn.Flatten(1)(lin(2, 3, 2)))",
        "torch.testing.assert_allclose": "torch.testing.assert_allclose(lin(3), lin(3) + 1e-9); True",
        "torch.int64": "(torch.int64, torch.tensor([1]).dtype == torch.int64, torch.int64.is_signed)",
        "Tensor.cos": "lin(4).cos()",
        "torch.nn.functional.linear": "(torch.nn.functional.linear(lin(4, 3), lin(2, 3)), torch.nn.functional.linear(lin(4, 3), lin(2, 3), lin(2)))",
        "torch.double": "(torch.double, torch.double == torch.float64)",
        "torch.nn.init.orthogonal_": "w = torch.empty(3, 5); r = torch.nn.init.orthogonal_(w); (r is w, bool(torch.allclose(w @ w.t(), torch.eye(3), atol=1e-5)))",
        "Tensor.unbind": "(lin(2, 3).unbind(), lin(2, 3).unbind(1), lin(2, 3).unbind(dim=-1)[0])",
        "torch.bmm": "(torch.bmm(lin(2, 2, 3), lin(2, 3, 4)), grad_of(lambda x: torch.bmm(x, lin(2, 3, 2)), 2, 2, 3))",
        "torch.topk": "x = lin(2, 5) ** 2; (tuple(torch.topk(x, 2)), tuple(torch.topk(x, 2, dim=0, largest=False)), torch.topk(lin(5), k=3, sorted=True).values)",
        "torch.nn.InstanceNorm2d": "(torch.nn.InstanceNorm2d(2)(lin(2, 2, 3, 3) ** 2), fill(torch.nn.InstanceNorm2d(2, affine=True))(lin(1, 2, 2, 3) ** 2))",
        "Tensor.div_": "x = lin(3); r = x.div_(2); x.div_(torch.tensor([1.0, 2.0, 4.0])); (x, r is x)",
        "Tensor.bool": "(torch.tensor([0.0, 1.5]).bool(), torch.arange(3).bool())",
        "torch.nn.LSTM": "m = fill(torch.nn.LSTM(3, 2, num_layers=2, batch_first=True)); out, (h, c) = m(lin(2, 4, 3)); (out, h, c, [tuple(p.shape) for p in m.parameters()])",
        "torch.enable_grad": """
x = torch.tensor([1.0], requires_grad=True)
with torch.no_grad():
    with torch.enable_grad():
        y = x * 2
    z = x * 2
(y.requires_grad, z.requires_grad)
""",
        "Module.modules": "m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU())); [type(c).__name__ for c in m.modules()]",
        "torch.meshgrid": "a, b = torch.arange(3), torch.arange(2); (torch.meshgrid(a, b, indexing='ij'), torch.meshgrid(a, b, indexing='xy'), torch.meshgrid([a, b], indexing='ij')[0].shape)",
        "torch.utils.data.DistributedSampler": "s = torch.utils.data.DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False); (list(s), len(s))",
        "torch.pow": "(torch.pow(lin(3), 2), torch.pow(2, lin(3)), torch.pow(torch.arange(3), 2), torch.pow(lin(3) + 2, lin(3)))",
        "torch.dtype": "(isinstance(torch.float32, torch.dtype), type(torch.float32).__name__)",
        "torch.int32": "(torch.int32, torch.arange(3, dtype=torch.int32), torch.arange(3, dtype=torch.int32) + 1.5)",
        "Tensor.stride": "x = torch.zeros(2, 3, 4); (x.stride(), x.stride(1), x.t().stride() if x.dim() == 2 else x.transpose(0, 2).stride())",
        "Tensor.view_as": "torch.arange(6.).view_as(torch.zeros(2, 3))",
        "torch.argmax": "x = lin(2, 3) ** 2; (torch.argmax(x), torch.argmax(x, dim=1), torch.argmax(x, 0, keepdim=True))",
        "torch.nn.Conv3d": "m = fill(torch.nn.Conv3d(1, 2, 2)); (m(lin(1, 1, 3, 3, 3)), m.weight.shape)",
        "Tensor.gather": "x = lin(2, 3); (x.gather(1, torch.tensor([[0, 0], [2, 1]])), x.gather(0, torch.tensor([[1, 0, 1]])))",
        "torch.chunk": "(torch.chunk(torch.arange(5), 2), torch.chunk(lin(2, 4), 2, dim=1))",
        "torch.nn.Softmax": "(torch.nn.Softmax(dim=1)(lin(2, 3)), torch.nn.Softmax(0)(lin(2, 3)))",
        "torch.nn.functional.max_pool2d": "F = torch.nn.functional; x = lin(1, 1, 4, 4) ** 2; (F.max_pool2d(x, 2), tuple(F.max_pool2d(x, 2, return_indices=True)), F.max_pool2d(x, kernel_size=3, stride=1, padding=1), grad_of(lambda x: F.max_pool2d(x ** 2, 2), 1, 1, 4, 4))",
        "torch.isclose": "(torch.isclose(lin(3), lin(3) + 1e-9), torch.isclose(lin(3), lin(3) + torch.tensor([0.0, 1.0, 1e-3])), torch.isclose(torch.tensor([float('nan')]), torch.tensor([float('nan')]), equal_nan=True))",
        "torch.uint8": "(torch.uint8, torch.tensor([250, 10], dtype=torch.uint8) + 10, torch.tensor([1, 2], dtype=torch.uint8).dtype)",
        "torch.multinomial": "(torch.multinomial(torch.tensor([0.0, 1.0, 0.0]), 2, replacement=True), torch.multinomial(torch.ones(2, 5), 3).shape, sorted(torch.multinomial(torch.ones(4), 4).tolist()))",
        "Tensor.ravel": "lin(2, 3).t().ravel()",
        "Module.compile": "m = fill(torch.nn.Linear(2, 2)); m.compile(); m(lin(1, 2))",
        "torch.eq": "(torch.eq(lin(3), lin(3)), torch.eq(torch.arange(3), 1))",
        "Tensor.repeat_interleave": "x = torch.arange(3); (x.repeat_interleave(2), lin(2, 2).repeat_interleave(2, dim=0), x.repeat_interleave(torch.tensor([1, 0, 2])))",
        "torch.dot": "(torch.dot(lin(3), lin(3) + 1), torch.dot(torch.arange(3), torch.arange(3)))",
        "torch.nn.functional.conv2d": "F = torch.nn.functional; x = lin(1, 2, 5, 5); w = lin(4, 2, 3, 3); (F.conv2d(x, w), F.conv2d(x, w, lin(4), stride=2, padding=1), F.conv2d(x, lin(4, 1, 3, 3), groups=2, dilation=2), F.conv2d(x, w, padding='same'))",
        "Tensor.nonzero": "x = torch.tensor([[0, 1], [2, 0]]); (x.nonzero(), x.nonzero(as_tuple=True))",
        "Tensor.std": "x = lin(2, 3) ** 2; (x.std(), x.std(0), x.std(dim=1, unbiased=False), x.std(1, keepdim=True, correction=0))",
        "Module.add_module": "m = torch.nn.Module(); m.add_module('fc', torch.nn.Linear(2, 1)); ([n for n, _ in m.named_parameters()], type(m.fc).__name__)",
        "torch.distributions.Distribution": """
class D(torch.distributions.Distribution):
    arg_constraints = {}
    def __init__(self):
        super().__init__(batch_shape=torch.Size([2]), validate_args=False)
    def log_prob(self, x):
        return -x
d = D()
(d.batch_shape, d.event_shape, d.log_prob(lin(2)), isinstance(torch.distributions.Normal(0.0, 1.0), torch.distributions.Distribution))
""",
        "Tensor.scatter": "x = torch.zeros(2, 4); (x.scatter(1, torch.tensor([[0, 2], [1, 3]]), lin(2, 2)), x.scatter(0, torch.tensor([[1, 0, 1, 0]]), 5.0))",
        "torch.nn.functional.gelu": "(torch.nn.functional.gelu(lin(5)), torch.nn.functional.gelu(lin(5), approximate='tanh'), grad_of(torch.nn.functional.gelu, 5))",
        "Tensor.topk": "x = lin(2, 5) ** 2; (tuple(x.topk(2)), x.topk(1, dim=0).indices, x.topk(3, largest=False).values)",
        "torch.nn.functional.dropout": "F = torch.nn.functional; y = F.dropout(torch.ones(1000), 0.25); (F.dropout(lin(3), 0.5, training=False), y.shape, bool(((y == 0) | ((y - 1 / 0.75).abs() < 1e-6)).all()))",
        "torch.nn.GRU": "m = fill(torch.nn.GRU(3, 2, bidirectional=True)); out, h = m(lin(4, 2, 3)); (out, h, [tuple(p.shape) for p in m.parameters()])",
        "torch.nn.ModuleDict": "m = torch.nn.ModuleDict({'a': torch.nn.Linear(2, 2), 'b': torch.nn.ReLU()}); m['c'] = torch.nn.Tanh(); (list(m.keys()), len(m), len(list(m.parameters())), 'a' in m)",
        "Tensor.flip": "(lin(2, 3).flip(0), lin(2, 3).flip([0, 1]), lin(2, 3).flip(dims=(1,)))",
        "Tensor.cumsum": "(lin(2, 3).cumsum(1), torch.arange(4).cumsum(0), lin(2, 3).cumsum(dim=0))",
        "torch.distributions.MultivariateNormal": "d = torch.distributions.MultivariateNormal(lin(2), torch.tensor([[2.0, 0.5], [0.5, 1.0]])); (d.log_prob(lin(3, 2)), d.mean, d.covariance_matrix, d.scale_tril, d.entropy(), d.sample((4,)).shape, d.event_shape)",
        "Tensor.prod": "x = lin(2, 3) + 2; (x.prod(), x.prod(1), x.prod(dim=0, keepdim=True), torch.arange(1, 5).prod())",
        "torch.optim.lr_scheduler.CosineAnnealingLR": "lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01))",
        "Tensor.clip": "(lin(5).clip(-0.5, 0.5), lin(5).clip(min=0))",
        "torch.cfloat": "(torch.cfloat, torch.cfloat == torch.complex64)",
        "Tensor.nelement": "torch.zeros(2, 3).nelement()",
        "Tensor.pin_memory": "lin(3).pin_memory()",
        "Tensor.new_zeros": "(lin(2).new_zeros(2, 3), torch.arange(2).new_zeros((3,)), lin(2).new_zeros(2, dtype=torch.int64))",
        "torch.nn.ParameterList": "m = torch.nn.ParameterList([torch.nn.Parameter(lin(2)), torch.nn.Parameter(lin(3))]); (len(m), [tuple(p.shape) for p in m.parameters()], m[1])",
        "torch.rand_like": "(torch.rand_like(lin(2, 3)).shape, torch.rand_like(lin(2, 3), dtype=torch.float64).dtype)",
        "Tensor.allclose": "(lin(3).allclose(lin(3) + 1e-9), lin(3).allclose(lin(3) + 1))",
        "torch.gather": "torch.gather(lin(2, 3), 1, torch.tensor([[2, 0], [1, 1]]))",
        "Tensor.to_dense": "lin(2, 2).to_dense()",
        "torch.nn.MultiheadAttention": "m = fill(torch.nn.MultiheadAttention(4, 2, batch_first=True)); out, w = m(lin(2, 3, 4), lin(2, 3, 4) ** 2, lin(2, 3, 4)); (out, w, [tuple(p.shape) for p in m.parameters()])",
        "torch.nn.init.uniform_": "w = torch.empty(1000); r = torch.nn.init.uniform_(w, -0.1, 0.2); (r is w, bool(w.min() >= -0.1), bool(w.max() <= 0.2))",
        "torch.nn.init.xavier_uniform_": "w = torch.empty(100, 200); r = torch.nn.init.xavier_uniform_(w, gain=2.0); b = 2.0 * math.sqrt(6 / 300); (r is w, bool(w.abs().max() <= b), bool(w.abs().max() > 0.9 * b))",
        "Tensor.is_cuda": "lin(2).is_cuda",
        "torch.distributions.Categorical": "d = torch.distributions.Categorical(probs=torch.tensor([0.2, 0.3, 0.5])); e = torch.distributions.Categorical(logits=lin(2, 3)); (d.log_prob(torch.tensor([0, 2])), d.entropy(), e.probs, e.log_prob(torch.tensor([1, 2])), d.sample((4,)).shape, d.sample().dtype)",
        "torch.sort": "x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]); (tuple(torch.sort(x)), tuple(torch.sort(x, dim=0, descending=True)), torch.sort(x, dim=1, stable=True).indices)",
        "torch.inference_mode": """
x = torch.tensor([1.0], requires_grad=True)
with torch.inference_mode():
    y = x * 2
@torch.inference_mode()
def f(x):
    return x * 3
(y.requires_grad, f(x).requires_grad, y)
""",
        "torch.nn.functional.scaled_dot_product_attention": "F = torch.nn.functional; q, k, v = lin(2, 3, 4), lin(2, 5, 4) ** 2, lin(2, 5, 4); (F.scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, q, q, is_causal=True), F.scaled_dot_product_attention(q, k, v, attn_mask=torch.ones(3, 5, dtype=torch.bool).tril()))",
        "Tensor.index_select": "(lin(3, 2).index_select(0, torch.tensor([2, 0])), lin(3, 2).index_select(1, torch.tensor([1])))",
        "torch.nn.parameter.Parameter": "p = torch.nn.parameter.Parameter(lin(2)); (p, type(p).__name__)",
        "Tensor.register_hook": """
x = lin(3).requires_grad_()
h = x.register_hook(lambda g: g * 10)
(x * x).sum().backward()
g1 = x.grad.clone()
h.remove()
x.grad = None
(x * x).sum().backward()
(g1, x.grad)
""",
        "torch.prod": "(torch.prod(lin(3) + 2), torch.prod(lin(2, 3) + 2, 1), grad_of(lambda x: torch.prod(x + 2), 3))",
        "torch.reshape": "(torch.reshape(torch.arange(6), (2, 3)), torch.reshape(lin(6), (-1,)))",
        "torch.normal": "(torch.normal(torch.zeros(3), torch.ones(3)).shape, torch.normal(2.0, 3.0, size=(2, 2)).shape, torch.normal(lin(3), 1e-12))",
        "torch.roll": "x = torch.arange(6).reshape(2, 3); (torch.roll(x, 1), torch.roll(x, 1, dims=1), torch.roll(x, (1, -1), (0, 1)))",
        "torch.utils.data.RandomSampler": "s = torch.utils.data.RandomSampler(list(range(6))); (sorted(s), len(s), len(torch.utils.data.RandomSampler(range(6), replacement=True, num_samples=10)))",
        "Tensor.is_sparse": "lin(2).is_sparse",
        "torch.nn.functional.softplus": "F = torch.nn.functional; (F.softplus(lin(5)), F.softplus(lin(5) * 30, beta=2, threshold=10))",
        "torch.finfo": "f = torch.finfo(torch.float32); g = torch.finfo(); (f.eps, f.max, f.min, f.tiny, torch.finfo(torch.float64).eps, g.bits, torch.finfo(torch.float16).max)",
        "torch.optim.lr_scheduler.LambdaLR": "lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.5 ** e))",
        "Module.register_parameter": "m = torch.nn.Module(); m.register_parameter('w', torch.nn.Parameter(lin(2))); m.register_parameter('b', None); ([n for n, _ in m.named_parameters()], m.b, m.w)",
        "torch.nn.Upsample": "x = lin(1, 1, 2, 2); (torch.nn.Upsample(scale_factor=2)(x), torch.nn.Upsample(size=(3, 3), mode='bilinear', align_corners=True)(x))",
        "torch.split": "x = torch.arange(7); (torch.split(x, 3), torch.split(x, [2, 5]), torch.split(lin(2, 4), 2, dim=1))",
        "torch.nn.utils.rnn.pad_sequence": "P = torch.nn.utils.rnn.pad_sequence; s = [lin(3), lin(1), lin(2)]; (P(s), P(s, batch_first=True, padding_value=-1.0))",
        "torch.tril": "(torch.tril(lin(3, 3)), torch.tril(lin(3, 4), diagonal=1), torch.tril(lin(3, 3), -1))",
        "torch.mul": "(torch.mul(lin(3), 2), torch.mul(lin(3), lin(3)))",
        "Tensor.detach_": "y = lin(2).requires_grad_() * 2; r = y.detach_(); (r is y, y.requires_grad, y.grad_fn)",
        "Module.named_modules": "m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU())); [(n, type(c).__name__) for n, c in m.named_modules()]",
        "Tensor.unfold": "(torch.arange(7.).unfold(0, 3, 2), lin(2, 5).unfold(1, 2, 1).shape)",
        "torch.optim.lr_scheduler.StepLR": "lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5))",
        "torch.utils.data.SequentialSampler": "list(torch.utils.data.SequentialSampler(range(4)))",
        "Tensor.double": "torch.arange(3).double()",
        "Tensor.int": "torch.tensor([1.7, -1.7]).int()",
        "Tensor.div": "(lin(3).div(2), torch.arange(5).div(2), torch.arange(-3, 3).div(2, rounding_mode='floor'), torch.arange(-3, 3).div(2, rounding_mode='trunc'), lin(3).div(lin(3) + 2))",
        "torch.full_like": "(torch.full_like(lin(2, 3), 7), torch.full_like(torch.arange(3), 2.5), torch.full_like(lin(2), 1, dtype=torch.int64))",
        "torch.utils.data.dataloader.DataLoader": "list(torch.utils.data.dataloader.DataLoader(torch.arange(5), batch_size=2))",
        "Tensor.masked_fill_": "x = lin(4); r = x.masked_fill_(x < 0, 0.0); (x, r is x)",
        "Tensor.ndimension": "torch.zeros(2, 3).ndimension()",
        "torch.flip": "torch.flip(lin(2, 3), [1])",
        "Tensor.equal": "(lin(3).equal(lin(3)), lin(3).equal(lin(3) * 2))",
        "torch.int": "(torch.int, torch.int == torch.int32)",
        "torch.square": "(torch.square(lin(3)), torch.square(torch.arange(3)))",
        "Tensor.matmul": "(lin(2, 3).matmul(lin(3)), lin(2, 2, 3).matmul(lin(3, 2)))",
        "torch.set_default_dtype": "torch.set_default_dtype(torch.float64); r = (torch.zeros(1).dtype, torch.tensor([1.5]).dtype, torch.get_default_dtype(), torch.arange(2.0).dtype); torch.set_default_dtype(torch.float32); r",
        "Tensor.sign": "(lin(5).sign(), torch.tensor([-2, 0, 3]).sign())",
        "Tensor.diagonal": "x = lin(3, 4); (x.diagonal(), x.diagonal(1), x.diagonal(offset=-1), lin(2, 3, 3).diagonal(dim1=1, dim2=2))",
        "torch.nn.BatchNorm3d": "m = fill(torch.nn.BatchNorm3d(2)); (m(lin(2, 2, 2, 2, 2) ** 2), m.running_var)",
        "torch.utils.data.distributed.DistributedSampler": "s = torch.utils.data.distributed.DistributedSampler(list(range(5)), num_replicas=2, rank=0, shuffle=False); (list(s), len(s))",
        "torch.optim.RMSprop": "train(lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True))",
        "torch.argsort": "x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]); (torch.argsort(x), torch.argsort(x, dim=0, descending=True))",
        "Tensor.narrow": "(torch.arange(6).narrow(0, 1, 3), lin(3, 4).narrow(1, 2, 2))",
        "Tensor.unique": "x = torch.tensor([3, 1, 3, 2, 1]); (x.unique(), tuple(x.unique(return_counts=True)), tuple(x.unique(return_inverse=True)), torch.tensor([[1, 2], [1, 2], [0, 1]]).unique(dim=0))",
        "torch.triu": "(torch.triu(lin(3, 3)), torch.triu(lin(3, 4), diagonal=1), torch.triu(torch.ones(3, 3, dtype=torch.bool), 1))",
        "torch.nn.Softplus": "(torch.nn.Softplus()(lin(5)), torch.nn.Softplus(beta=2)(lin(5)))",
        "Tensor.unsqueeze_": "x = lin(3); r = x.unsqueeze_(0); (x.shape, r is x)",
        "torch.diag": "(torch.diag(lin(3)), torch.diag(lin(3, 3)), torch.diag(lin(2), 1), torch.diag(lin(3, 4), -1))",
        "torch.nn.functional.sigmoid": "torch.nn.functional.sigmoid(lin(4))",
        "torch.distributions.constraints.simplex": "c = torch.distributions.constraints.simplex; (c.check(torch.tensor([0.2, 0.8])), c.check(torch.tensor([0.5, 0.8])), c.event_dim)",
        "Tensor.round": "x = torch.tensor([0.5, 1.5, 2.5, -0.5, 1.234]); (x.round(), x.round(decimals=1))",
        "torch.isfinite": "torch.isfinite(torch.tensor([1.0, float('inf'), float('nan'), -float('inf')]))",
        "torch.nn.functional.layer_norm": "F = torch.nn.functional; (F.layer_norm(lin(2, 3) ** 2, (3,)), F.layer_norm(lin(2, 3) ** 2, [3], lin(3), lin(3) + 1, eps=1e-3))",
        "torch.nn.RNN": "m = fill(torch.nn.RNN(3, 2, nonlinearity='relu')); out, h = m(lin(4, 2, 3), lin(1, 2, 2)); (out, h)",
        "torch.nn.BCEWithLogitsLoss": "t = torch.tensor([0.0, 1.0, 1.0, 0.0]); (torch.nn.BCEWithLogitsLoss()(lin(4), t), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.0), reduction='sum')(lin(4), t))",
        "torch.linalg.cholesky": "a = lin(3, 3); s = a @ a.t() + torch.eye(3); (torch.linalg.cholesky(s), torch.linalg.cholesky(s, upper=True))",
        "torch.nn.functional.silu": "torch.nn.functional.silu(lin(5))",
        "torch.set_default_device": "torch.set_default_device('cpu'); r = (torch.zeros(2).device, torch.get_default_device()); torch.set_default_device(None); r",
        "torch.clip": "torch.clip(lin(5), -0.5, 0.5)",
        "Tensor.clamp_min": "(lin(5).clamp_min(0.1), torch.arange(4).clamp_min(2))",
        "Tensor.new": "x = lin(2); (x.new([1, 2]), x.new(2, 3).shape, x.new().shape, torch.arange(2).new([3]).dtype)",
        "torch.nn.init.kaiming_normal_": "w = torch.empty(200, 300); r = torch.nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu'); (r is w, bool((w.std() - math.sqrt(2 / 300)).abs() < 0.003))",
        "Tensor.masked_select": "x = lin(2, 3); (x.masked_select(x > 0), x.masked_select(torch.tensor([True, False, True])))",
        "torch.nn.ConvTranspose1d": "m = fill(torch.nn.ConvTranspose1d(2, 3, 3, stride=2)); (m(lin(1, 2, 4)), m.weight.shape)",
        "torch.numel": "torch.numel(torch.zeros(2, 3))",
        "Tensor.nbytes": "(torch.zeros(2, 3).nbytes, torch.zeros(3, dtype=torch.int64).nbytes)",
        "torch.linalg.norm": "x = lin(2, 3); (torch.linalg.norm(x), torch.linalg.norm(x, dim=1), torch.linalg.norm(x, ord=2), torch.linalg.norm(x, 'nuc'), torch.linalg.norm(lin(4), ord=1), torch.linalg.norm(lin(4), float('inf')))",
        "torch.cumsum": "(torch.cumsum(lin(2, 3), 1), torch.cumsum(torch.arange(4), dim=0))",
        "torch.is_grad_enabled": """
a = torch.is_grad_enabled()
with torch.no_grad():
    b = torch.is_grad_enabled()
(a, b)
""",
        "torch.optim.Adadelta": "train(lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9))",
        "Tensor.square": "lin(3).square()",
        "torch.nn.ConvTranspose3d": "m = fill(torch.nn.ConvTranspose3d(1, 2, 2)); m(lin(1, 1, 2, 2, 2))",
        "torch.optim.lr_scheduler.ReduceLROnPlateau": """
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
out = []
for loss in [1.0, 0.9, 0.95, 0.96, 0.97, 0.98]:
    s.step(loss)
    out.append(opt.param_groups[0]['lr'])
out
""",
        "torch.nn.functional.binary_cross_entropy_with_logits": "F = torch.nn.functional; t = torch.tensor([0.0, 1.0, 0.3]); (F.binary_cross_entropy_with_logits(lin(3), t), F.binary_cross_entropy_with_logits(lin(3), t, reduction='none', pos_weight=torch.tensor([1.0, 2.0, 3.0])), grad_of(lambda x: F.binary_cross_entropy_with_logits(x, t), 3))",
        "torch.transpose": "torch.transpose(lin(2, 3), 0, 1)",
        "torch.distributions.constraints.positive": "torch.distributions.constraints.positive.check(torch.tensor([1.0, 0.0, -1.0]))",
        "torch.var": "x = lin(2, 3) ** 2; (torch.var(x), torch.var(x, 1), torch.var(x, dim=0, unbiased=False), torch.var(x, 1, correction=0, keepdim=True))",
        "Tensor.scatter_": "x = torch.zeros(2, 3); r = x.scatter_(1, torch.tensor([[2], [0]]), 1.0); (x, r is x, torch.zeros(3).scatter_(0, torch.tensor([0, 2]), lin(2)))",
        "torch.nn.functional.one_hot": "F = torch.nn.functional; (F.one_hot(torch.tensor([0, 2, 1])), F.one_hot(torch.tensor([[1], [0]]), num_classes=4))",
        "torch.futures.Future": "f = torch.futures.Future(); f.set_result(3); (f.wait(), f.done())",
        "Tensor.argsort": "(torch.tensor([3.0, 1.0, 2.0]).argsort(), torch.tensor([3.0, 1.0, 2.0]).argsort(descending=True))",
        "Tensor.real": "(lin(3).real, torch.tensor([1 + 2j]).real)",
        "torch.linalg.solve_triangular": "a = lin(3, 3).tril() + 2 * torch.eye(3); (torch.linalg.solve_triangular(a, lin(3, 2), upper=False), torch.linalg.solve_triangular(a.t(), lin(3, 2), upper=True), torch.linalg.solve_triangular(a, lin(2, 3), upper=False, left=False))",
        "torch.nn.AdaptiveAvgPool2d": "x = lin(1, 2, 5, 7); (torch.nn.AdaptiveAvgPool2d((2, 3))(x), torch.nn.AdaptiveAvgPool2d(1)(x), torch.nn.AdaptiveAvgPool2d((None, 2))(x).shape)",
        "torch.nn.init.constant": "w = torch.empty(2); torch.nn.init.constant(w, 0.5); w",
        "torch.concat": "torch.concat([lin(2), lin(3)])",
        "Tensor.tanh": "lin(4).tanh()",
        "Tensor.select": "(lin(2, 3).select(0, 1), lin(2, 3).select(1, -1))",
        "Tensor.sub_": "x = lin(3); r = x.sub_(1); x.sub_(lin(3), alpha=2); (x, r is x)",
        "Tensor.reshape_as": "torch.arange(6).reshape_as(torch.zeros(3, 2))",
        "torch.optim.Adagrad": "train(lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01))",
        "Tensor.bernoulli_": "x = torch.empty(100); r = x.bernoulli_(0.5); (r is x, bool(((x == 0) | (x == 1)).all()), torch.empty(3).bernoulli_(1.0), torch.empty(3).bernoulli_(torch.tensor([0.0, 1.0, 0.0])))",
        "torch.optim.Adamax": "train(lambda p: torch.optim.Adamax(p, lr=0.01))",
        "Tensor.var": "x = lin(2, 3) ** 2; (x.var(), x.var(0), x.var(1, unbiased=False))",
        "torch.empty_like": "(torch.empty_like(lin(2, 3)).shape, torch.empty_like(torch.arange(3)).dtype)",
        "torch.nn.functional.nll_loss": "F = torch.nn.functional; x = torch.log_softmax(lin(3, 4), 1); t = torch.tensor([0, 3, 1]); (F.nll_loss(x, t), F.nll_loss(x, t, reduction='sum', weight=torch.tensor([1.0, 2.0, 3.0, 4.0])), F.nll_loss(x, t, ignore_index=3))",
        "torch.nn.ELU": "(torch.nn.ELU()(lin(5)), torch.nn.ELU(alpha=0.5)(lin(5)))",
        "Tensor.as_strided": "torch.arange(9.).as_strided((2, 2), (3, 1), 1)",
        "torch.any": "(torch.any(torch.tensor([False, True])), torch.any(torch.tensor([[False], [True]]), dim=1))",
        "Module.children": "m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU())); [type(c).__name__ for c in m.children()]",
        "torch.logsumexp": "(torch.logsumexp(lin(2, 3), 1), torch.logsumexp(lin(2, 3), dim=0, keepdim=True), torch.logsumexp(torch.tensor([-float('inf'), -float('inf')]), 0))",
        "Tensor.dot": "lin(3).dot(lin(3))",
        "Tensor.get_device": "lin(2).get_device()",
        "torch.nn.BCELoss": "p = torch.sigmoid(lin(4)); t = torch.tensor([0.0, 1.0, 1.0, 0.0]); (torch.nn.BCELoss()(p, t), torch.nn.BCELoss(weight=torch.tensor([1.0, 2.0, 1.0, 2.0]), reduction='sum')(p, t))",
        "Tensor.index_copy_": "x = torch.zeros(4, 2); r = x.index_copy_(0, torch.tensor([3, 0]), lin(2, 2)); (x, r is x)",
        "torch.nn.utils.rnn.PackedSequence": "p = torch.nn.utils.rnn.pack_padded_sequence(lin(3, 2, 1), torch.tensor([3, 2])); (isinstance(p, torch.nn.utils.rnn.PackedSequence), p.data, p.batch_sizes)",
        "Module.named_children": "m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()); [(n, type(c).__name__) for n, c in m.named_children()]",
        "Tensor.median": "x = torch.tensor([[3.0, 1.0, 2.0, 4.0], [0.0, 5.0, 4.0, 4.0]]); (x.median(), tuple(x.median(1)), x.median(dim=0).values)",
        "torch.nn.functional": "F = torch.nn.functional; F.relu(lin(3))",
        "torch.repeat_interleave": "(torch.repeat_interleave(torch.arange(3), 2), torch.repeat_interleave(torch.tensor([2, 1])))",
        "torch.optim.lr_scheduler.ExponentialLR": "lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9))",
        "Tensor.logsumexp": "lin(2, 3).logsumexp(1)",
        "torch.nn.ZeroPad2d": "(torch.nn.ZeroPad2d(1)(lin(1, 1, 2, 2)), torch.nn.ZeroPad2d((1, 0, 2, 0))(lin(1, 2, 2)))",
        "torch.optim.optimizer.Optimizer": "isinstance(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), sub('torch.optim.optimizer').Optimizer)",
        "torch.inf": "(torch.inf, -torch.inf)",
        "torch.nn.functional.adaptive_avg_pool2d": "F = torch.nn.functional; (F.adaptive_avg_pool2d(lin(1, 2, 5, 5), (2, 2)), F.adaptive_avg_pool2d(lin(1, 2, 4, 6), 1))",
        "Tensor.lerp_": "x = lin(3); r = x.lerp_(torch.ones(3), 0.25); (x, r is x)",
        "torch.nn.init.ones_": "w = lin(2); torch.nn.init.ones_(w); w",
        "torch.optim.ASGD": "train(lambda p: torch.optim.ASGD(p, lr=0.01))",
        "Tensor.sub": "(lin(3).sub(1), lin(3).sub(lin(3) * 2, alpha=3))",
        "torch.nn.Dropout2d": "m = torch.nn.Dropout2d(0.5); y = m(torch.ones(4, 8, 3, 3)); (m.eval()(lin(1, 2, 2, 2)), y.shape, bool((y.amax((2, 3)) == y.amin((2, 3))).all()))",
        "Tensor.new_ones": "(lin(2).new_ones(2, 3), torch.arange(2).new_ones(2))",
        "torch.nn.L1Loss": "(torch.nn.L1Loss()(lin(4), torch.zeros(4)), torch.nn.L1Loss(reduction='none')(lin(4), torch.ones(4)))",
        "Tensor.mode": "x = torch.tensor([[1, 2, 2, 3], [4, 4, 1, 1]]); tuple(x.mode())",
        "Tensor.to_sparse": "lin(2, 2).to_sparse().to_dense()",
        "torch.int16": "(torch.int16, torch.tensor([32767], dtype=torch.int16) + 1)",
        "Tensor.where": "x = lin(4); x.where(x > 0, torch.zeros(4))",
        "Tensor.addcmul_": "x = lin(3); r = x.addcmul_(lin(3), lin(3) + 1, value=0.5); (x, r is x)",
        "Tensor.data_ptr": "x = torch.zeros(4); (x.data_ptr() == x.view(2, 2).data_ptr(), x[1:].data_ptr() - x.data_ptr())",
        "torch.std": "x = lin(2, 3) ** 2; (torch.std(x), torch.std(x, 1), torch.std(x, dim=0, unbiased=False))",
        "Tensor.diag": "(lin(3).diag(), lin(3, 3).diag(1))",
        "Tensor.triu_": "x = lin(3, 3); r = x.triu_(); (x, r is x)",
        "Tensor.amax": "x = lin(2, 3) ** 2; (x.amax(), x.amax(1), x.amax(dim=(0, 1)), x.amax(0, keepdim=True))",
        "torch.nn.functional.l1_loss": "F = torch.nn.functional; (F.l1_loss(lin(4), torch.zeros(4)), F.l1_loss(lin(4), torch.ones(4), reduction='sum'))",
        "Tensor.addcdiv_": "x = lin(3); r = x.addcdiv_(lin(3), lin(3) + 2, value=0.5); (x, r is x)",
        "torch.contiguous_format": "lin(2, 3).t().contiguous(memory_format=torch.contiguous_format).is_contiguous()",
        "torch.expm1": "torch.expm1(lin(4) * 1e-3)",
        "torch.nn.EmbeddingBag": "m = fill(torch.nn.EmbeddingBag(5, 2, mode='mean')); m(torch.tensor([1, 2, 4, 3]), torch.tensor([0, 2]))",
        "Tensor.ger": "lin(2).ger(lin(3))",
        "Tensor.new_tensor": "(lin(2).new_tensor([1, 2]), torch.arange(2).new_tensor([1.5]), lin(2).new_tensor([1], dtype=torch.int64))",
        "torch.distributions.kl_divergence": "N = torch.distributions.Normal; (torch.distributions.kl_divergence(N(lin(3), torch.ones(3)), N(torch.zeros(3), torch.full((3,), 2.0))), torch.distributions.kl_divergence(torch.distributions.Categorical(probs=torch.tensor([0.2, 0.8])), torch.distributions.Categorical(probs=torch.tensor([0.5, 0.5]))))",
        "torch.addcmul": "torch.addcmul(lin(3), lin(3), lin(3) + 1, value=2)",
        "Tensor.inverse": "(lin(2, 2) + 2 * torch.eye(2)).inverse()",
        "torch.nn.functional.batch_norm": "F = torch.nn.functional; rm, rv = torch.zeros(3), torch.ones(3); y = F.batch_norm(lin(4, 3) ** 2, rm, rv, training=True, momentum=0.1); (y, rm, rv, F.batch_norm(lin(4, 3), rm, rv, lin(3), lin(3)))",
        "torch.sign": "torch.sign(lin(5))",
        "torch.nn.utils.rnn.pack_padded_sequence": "p = torch.nn.utils.rnn.pack_padded_sequence(lin(2, 3, 1), torch.tensor([3, 1]), batch_first=True, enforce_sorted=False); (p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices)",
        "torch.set_grad_enabled": """
x = torch.tensor([1.0], requires_grad=True)
with torch.set_grad_enabled(False):
    a = (x * 2).requires_grad
torch.set_grad_enabled(False)
b = (x * 2).requires_grad
torch.set_grad_enabled(True)
(a, b, (x * 2).requires_grad)
""",
        "torch.nn.functional.multi_head_attention_forward": """
F = torch.nn.functional
q = lin(3, 2, 4)
out, w = F.multi_head_attention_forward(q, q, q, 4, 2, lin(12, 4), lin(12), None, None, False, 0.0, lin(4, 4), lin(4), training=False)
(out, w)
""",
        "torch.set_default_tensor_type": "torch.set_default_tensor_type(torch.DoubleTensor); r = torch.zeros(1).dtype; torch.set_default_tensor_type(torch.FloatTensor); r",
        "torch.nn.ReflectionPad2d": "(torch.nn.ReflectionPad2d(1)(lin(1, 1, 3, 3)), torch.nn.ReflectionPad2d((1, 0, 2, 1))(lin(1, 1, 3, 3)))",
        "Tensor.put": "torch.zeros(2, 2).put(torch.tensor([0, 3]), torch.tensor([1.0, 2.0]))",
        "torch.distributions.Bernoulli": "d = torch.distributions.Bernoulli(probs=torch.tensor([0.2, 0.7])); e = torch.distributions.Bernoulli(logits=lin(2)); (d.log_prob(torch.tensor([0.0, 1.0])), d.entropy(), d.mean, e.probs, d.sample((3,)).shape)",
        "torch.nn.functional.tanh": "torch.nn.functional.tanh(lin(3))",
        "Tensor.scatter_add_": "x = torch.zeros(2, 3); r = x.scatter_add_(1, torch.tensor([[0, 0, 2], [1, 1, 1]]), lin(2, 3)); (x, r is x)",
        "torch.lgamma": "torch.lgamma(torch.tensor([0.5, 1.0, 2.5, 10.0]))",
    }
)

SMOKE.update(
    {
        "torch.int8": "(torch.int8, torch.tensor([127], dtype=torch.int8) + 1, torch.tensor([1], dtype=torch.int8) + torch.tensor([1], dtype=torch.uint8))",
        "Tensor.imag": "torch.tensor([1 + 2j]).imag",
        "torch.preserve_format": "lin(2, 3).clone(memory_format=torch.preserve_format)",
        "Tensor.mT": "(lin(2, 3).mT, lin(2, 2, 3).mT.shape)",
        "Tensor.reciprocal": "((lin(3) + 2).reciprocal(), torch.arange(3).reciprocal())",
        "Tensor.ne": "(lin(3).ne(0.0), torch.arange(3).ne(torch.tensor([0, 0, 2])))",
        "Module.buffers": "[b for b in torch.nn.BatchNorm1d(2).buffers()]",
        "Tensor.new_empty": "(lin(2).new_empty(2, 3).shape, torch.arange(2).new_empty((3,)).dtype)",
        "torch.utils.data.Subset": "s = torch.utils.data.Subset(torch.arange(10) * 2, [1, 3, 5]); (len(s), s[1], [s[i] for i in range(3)])",
        "Tensor.ge": "(lin(3).ge(0.0), torch.arange(3).ge(torch.tensor([0, 2, 2])))",
        "torch.maximum": "(torch.maximum(lin(3), torch.zeros(3)), torch.maximum(torch.arange(3), torch.tensor([2, 0, 5])), torch.maximum(torch.tensor([float('nan'), 1.0]), torch.zeros(2)))",
        "torch.nn.AvgPool1d": "(torch.nn.AvgPool1d(2)(lin(1, 2, 5)), torch.nn.AvgPool1d(3, stride=1, padding=1)(lin(1, 1, 4)))",
        "Tensor.is_floating_point": "(lin(2).is_floating_point(), torch.arange(2).is_floating_point())",
        "torch.nn.SyncBatchNorm.convert_sync_batchnorm": "m = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(torch.nn.BatchNorm1d(2))); type(m[0]).__name__",
        "torch.sparse_coo_tensor": "torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), torch.tensor([3.0, 4.0]), (2, 2)).to_dense()",
        "torch.nn.RMSNorm": "m = fill(torch.nn.RMSNorm(3)); (m(lin(2, 3)), torch.nn.RMSNorm([3], eps=1e-3, elementwise_affine=False)(lin(2, 3)))",
        "Tensor.resize_": "x = torch.arange(6.); r = x.resize_(2, 3); (x, r is x)",
        "torch.cumprod": "(torch.cumprod(lin(2, 3) + 2, 1), torch.cumprod(torch.arange(1, 5), dim=0), grad_of(lambda x: torch.cumprod(x, 0), 4))",
        "torch.linalg.solve": "a = lin(3, 3) + 2 * torch.eye(3); (torch.linalg.solve(a, lin(3)), torch.linalg.solve(a, lin(3, 2)), torch.linalg.solve(a, lin(2, 3), left=False))",
        "torch.rsqrt": "torch.rsqrt(torch.arange(1.0, 4.0))",
        "torch.view_as_real": "torch.view_as_real(torch.tensor([1 + 2j, 3 - 1j]))",
        "torch.nn.functional.conv_transpose2d": "F = torch.nn.functional; x = lin(1, 2, 3, 3); (F.conv_transpose2d(x, lin(2, 3, 2, 2)), F.conv_transpose2d(x, lin(2, 1, 3, 3), lin(2), stride=2, padding=1, groups=2))",
        "torch.nn.utils.clip_grad_norm": "p = torch.nn.Parameter(lin(3)); p.grad = lin(3) * 4; n = torch.nn.utils.clip_grad_norm(p, 1.0); (n, p.grad)",
        "torch.nn.functional.upsample": "torch.nn.functional.upsample(lin(1, 1, 2, 2), scale_factor=2)",
        "torch.is_complex": "(torch.is_complex(lin(2)), torch.is_complex(torch.tensor([1j])))",
        "torch.func.vmap": "(torch.func.vmap(torch.dot)(lin(3, 2), lin(3, 2)), torch.func.vmap(lambda x, y: x * y, in_dims=(0, None))(lin(3, 2), lin(2)), torch.vmap(torch.sum)(lin(2, 3)))",
        "torch.unique": "x = torch.tensor([3, 1, 3, 2]); (torch.unique(x), tuple(torch.unique(x, sorted=True, return_inverse=True, return_counts=True)))",
        "torch.nn.AvgPool3d": "torch.nn.AvgPool3d(2)(lin(1, 1, 2, 4, 4))",
        "torch.nn.Bilinear": "m = fill(torch.nn.Bilinear(2, 3, 4)); (m(lin(5, 2), lin(5, 3)), m.weight.shape)",
        "torch.cdist": "(torch.cdist(lin(3, 2), lin(4, 2) ** 2), torch.cdist(lin(2, 3, 2), lin(2, 4, 2), p=1))",
        "Module.register_forward_pre_hook": """
m = fill(torch.nn.Linear(2, 2))
h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
a = m(lin(1, 2))
h.remove()
(a, m(lin(1, 2)))
""",
        "torch.nn.functional.selu": "torch.nn.functional.selu(lin(5))",
        "torch.unbind": "(torch.unbind(lin(2, 3)), torch.unbind(lin(2, 3), dim=1))",
        "torch.distributions.constraints.real": "torch.distributions.constraints.real.check(torch.tensor([1.0, float('nan'), float('inf')]))",
        "torch.nn.functional.logsigmoid": "torch.nn.functional.logsigmoid(lin(5) * 10)",
        "torch.distributions.Uniform": "d = torch.distributions.Uniform(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 5.0])); (d.log_prob(torch.tensor([1.0, 2.0])), d.mean, d.variance, d.entropy(), d.cdf(torch.tensor([1.0, 2.0])), d.sample((3,)).shape, bool(((d.sample((50,)) >= d.low) & (d.sample((50,)) < d.high)).all()))",
        "torch.broadcast_tensors": "torch.broadcast_tensors(lin(2, 1), lin(3))",
        "Tensor.trace": "(lin(3, 3).trace(), torch.arange(4).reshape(2, 2).trace())",
        "torch.IntTensor": "(torch.IntTensor([1, 2]), torch.IntTensor(2).shape)",
        "torch.nn.MaxPool1d": "(torch.nn.MaxPool1d(2)(lin(1, 2, 5) ** 2), torch.nn.MaxPool1d(3, stride=1, padding=1)(lin(1, 1, 4) ** 2))",
        "torch.nn.InstanceNorm1d": "torch.nn.InstanceNorm1d(2)(lin(2, 2, 4) ** 2)",
        "torch.nn.functional.elu": "(torch.nn.functional.elu(lin(5)), torch.nn.functional.elu(lin(5), alpha=2.0))",
        "torch.distributions.categorical.Categorical": "sub('torch.distributions.categorical').Categorical(probs=torch.tensor([0.25, 0.75])).entropy()",
        "torch.distributions.Gamma": "d = torch.distributions.Gamma(torch.tensor([2.0, 3.0]), torch.tensor([1.0, 0.5])); (d.log_prob(torch.tensor([1.0, 2.0])), d.mean, d.variance, d.entropy(), d.sample((3,)).shape, d.rsample().shape)",
        "torch.nn.InstanceNorm3d": "torch.nn.InstanceNorm3d(2)(lin(1, 2, 2, 2, 3) ** 2)",
        "Tensor.dist": "(lin(3).dist(lin(3) ** 2), lin(3).dist(torch.zeros(3), p=1))",
        "Tensor.new_full": "(lin(2).new_full((2, 3), 1.5), torch.arange(2).new_full((2,), 7))",
        "torch.nn.MaxPool3d": "torch.nn.MaxPool3d(2)(lin(1, 1, 2, 4, 4) ** 2)",
        "Tensor.unflatten": "(lin(6).unflatten(0, (2, 3)), lin(2, 6).unflatten(1, (3, -1)).shape)",
        "torch.linalg.eigh": "a = lin(3, 3); s = a + a.t() + torch.diag(torch.tensor([1.0, 2.0, 3.0])); w, v = torch.linalg.eigh(s); (w, (v @ torch.diag(w) @ v.t()), v.abs())",
        "torch.fft.fftfreq": "(torch.fft.fftfreq(5), torch.fft.fftfreq(4, d=0.5))",
        "Tensor.transpose_": "x = lin(2, 3); r = x.transpose_(0, 1); (x, r is x)",
        "torch.symeig": "torch.symeig(torch.eye(2))",
        "Tensor.floor": "(lin(5).mul(2).floor(), torch.arange(3).floor())",
        "torch.optim.LBFGS": """
x = torch.tensor([1.5, -0.5], requires_grad=True)
opt = torch.optim.LBFGS([x], lr=0.5, max_iter=5)
def closure():
    opt.zero_grad()
    loss = ((x - torch.tensor([0.3, 0.7])) ** 2).sum() + (x ** 4).sum()
    loss.backward()
    return loss
losses = [opt.step(closure) for _ in range(2)]
(x.detach(), losses)
""",
        "torch.typename": "(torch.typename(lin(2)), torch.typename(1.0), torch.typename(torch.nn.Linear(1, 1)))",
        "torch.broadcast_shapes": "(torch.broadcast_shapes((2, 1), (3,)), torch.broadcast_shapes((1,), (4, 1), (4, 2)))",
        "torch.autograd.gradcheck": "x = lin(3, dtype=torch.float64) if False else torch.linspace(-1, 1, 3, dtype=torch.float64, requires_grad=True); torch.autograd.gradcheck(lambda x: (x ** 3).sin(), (x,))",
        "torch.round": "(torch.round(torch.tensor([0.5, 1.5, -2.5, 0.123])), torch.round(torch.tensor([0.123, 1.0567]), decimals=2))",
        "torch.ByteTensor": "(torch.ByteTensor([1, 255]), torch.ByteTensor(2).dtype)",
        "torch.autocast": """
with torch.autocast('cpu', enabled=False):
    y = lin(2, 2) @ lin(2, 2)
y
""",
        "torch.linalg.qr": "a = lin(4, 3) ** 2 + torch.eye(4, 3); q, r = torch.linalg.qr(a); (q @ r, q.shape, r.abs(), torch.linalg.qr(a, mode='complete').Q.shape)",
        "torch.nn.functional.leaky_relu": "(torch.nn.functional.leaky_relu(lin(5)), torch.nn.functional.leaky_relu(lin(5), 0.2), torch.nn.functional.leaky_relu(lin(5), negative_slope=0.3))",
        "torch.nn.functional.glu": "(torch.nn.functional.glu(lin(2, 4)), torch.nn.functional.glu(lin(4, 2), dim=0))",
        "torch.get_default_dtype": "torch.get_default_dtype()",
        "torch.nn.functional.kl_div": "F = torch.nn.functional; p = torch.log_softmax(lin(2, 3), 1); q = torch.softmax(lin(2, 3) ** 2, 1); (F.kl_div(p, q, reduction='batchmean'), F.kl_div(p, q, reduction='sum'), F.kl_div(p, q.log(), reduction='none', log_target=True))",
        "torch.outer": "(torch.outer(lin(2), lin(3)), torch.outer(torch.arange(2), torch.arange(3)))",
        "torch.isinf": "torch.isinf(torch.tensor([1.0, float('inf'), -float('inf'), float('nan')]))",
        "torch.permute": "torch.permute(lin(2, 3, 4), (2, 0, 1))",
        "torch.complex32": "str(torch.complex32)",
        "torch.mv": "torch.mv(lin(2, 3), lin(3))",
        "torch.nn.SyncBatchNorm": "m = torch.nn.SyncBatchNorm(3); (type(m).__name__, [tuple(p.shape) for p in m.parameters()])",
        "Tensor.resize_as_": "x = torch.arange(6.); x.resize_as_(torch.zeros(3, 2)); x",
        "torch.minimum": "(torch.minimum(lin(3), torch.zeros(3)), torch.minimum(torch.arange(3), torch.tensor([2, 0, 5])))",
        "Tensor.rsqrt": "(lin(3) + 2).rsqrt()",
        "torch.nn.init.calculate_gain": "g = torch.nn.init.calculate_gain; (g('relu'), g('tanh'), g('leaky_relu', 0.2), g('linear'), g('sigmoid'), g('selu'), g('conv2d'))",
        "Tensor.bmm": "lin(2, 2, 3).bmm(lin(2, 3, 1))",
        "torch.amax": "(torch.amax(lin(2, 3) ** 2, 1), torch.amax(lin(2, 3), dim=(0, 1)))",
        "torch.nn.init.trunc_normal_": "w = torch.empty(1000); r = torch.nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5); (r is w, bool(w.min() >= -0.5), bool(w.max() <= 0.5))",
        "torch.linalg.svd": "a = lin(3, 2) ** 2 + torch.eye(3, 2); u, s, vh = torch.linalg.svd(a, full_matrices=False); (s, u @ torch.diag(s) @ vh, torch.linalg.svd(a).U.shape)",
        "torch.linalg.LinAlgError": """
try:
    torch.linalg.cholesky(-torch.eye(2))
    r = None
except torch.linalg.LinAlgError as e:
    r = 'positive-definite' in str(e)
(r, issubclass(torch.linalg.LinAlgError, RuntimeError))
""",
        "torch.relu": "torch.relu(lin(5))",
        "torch.add": "(torch.add(lin(3), 1), torch.add(lin(3), lin(3), alpha=2), torch.add(torch.arange(3), 1.5))",
        "torch.utils.data.dataset.Dataset": "issubclass(torch.utils.data.TensorDataset, sub('torch.utils.data.dataset').Dataset)",
        "torch.log1p": "torch.log1p(lin(3) * 1e-4)",
        "torch.as_strided": "torch.as_strided(torch.arange(9.), (2, 2), (1, 2))",
        "torch.get_default_device": "torch.get_default_device()",
        "torch.distributions.Independent": "d = torch.distributions.Independent(torch.distributions.Normal(lin(2, 3), torch.ones(2, 3)), 1); (d.batch_shape, d.event_shape, d.log_prob(torch.zeros(2, 3)), d.entropy())",
        "torch.amin": "(torch.amin(lin(2, 3) ** 2, 1), torch.amin(lin(2, 3), dim=0, keepdim=True))",
        "torch.sparse.mm": "torch.sparse.mm(torch.eye(2).to_sparse(), lin(2, 3))",
        "torch.DoubleTensor": "(torch.DoubleTensor([1, 2]), torch.DoubleTensor(2, 2).shape)",
        "Tensor.log_softmax": "(lin(2, 3).log_softmax(1), lin(2, 3).log_softmax(dim=0))",
        "torch.nn.NLLLoss": "x = torch.log_softmax(lin(3, 4), 1); (torch.nn.NLLLoss()(x, torch.tensor([0, 3, 1])), torch.nn.NLLLoss(reduction='none')(x, torch.tensor([0, 3, 1])))",
        "Tensor.ceil": "lin(5).mul(2).ceil()",
        "torch.utils.data": "D = torch.utils.data; (len(D.TensorDataset(torch.arange(3))), type(D.DataLoader(torch.arange(3))).__name__)",
        "torch.diagonal": "(torch.diagonal(lin(3, 3)), torch.diagonal(lin(2, 3, 3), 0, 1, 2))",
        "torch.distributions.kl.kl_divergence": "N = torch.distributions.Normal; sub('torch.distributions.kl').kl_divergence(N(0.0, 1.0), N(1.0, 2.0))",
        "torch.nn.PixelShuffle": "torch.nn.PixelShuffle(2)(lin(1, 8, 2, 3))",
        "torch.get_rng_state": "torch.manual_seed(0); s = torch.get_rng_state(); a = torch.rand(3); torch.set_rng_state(s); (bool(torch.equal(a, torch.rand(3))), s.dtype)",
        "torch.nn.init.kaiming_uniform_": "w = torch.empty(300, 200); r = torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5)); b = math.sqrt(6 / 6 / 200); (r is w, bool(w.abs().max() <= b), bool(w.abs().max() > 0.9 * b))",
        "torch.inverse": "torch.inverse(lin(3, 3) + 2 * torch.eye(3))",
        "Tensor.byte": "torch.tensor([1.7, 255.0, 3.0]).byte()",
        "torch.set_rng_state": "s = torch.get_rng_state(); a = torch.randn(4); torch.set_rng_state(s); bool(torch.equal(a, torch.randn(4)))",
        "Module.to_empty": "m = torch.nn.Linear(2, 3, device='meta'); m.to_empty(device='cpu'); (m.weight.shape, m.weight.device)",
        "torch.gt": "(torch.gt(lin(3), 0), torch.gt(lin(3), lin(3).flip(0)))",
        "Tensor.movedim": "(lin(2, 3, 4).movedim(0, -1).shape, lin(2, 3, 4).movedim((0, 1), (2, 0)))",
        "torch.floor": "torch.floor(lin(5) * 2)",
        "Tensor.element_size": "(lin(2).element_size(), torch.arange(2).element_size(), torch.zeros(1, dtype=torch.float16).element_size())",
        "Tensor.random_": "x = torch.empty(200); r = x.random_(0, 5); (r is x, sorted(set(x.tolist())) == [0.0, 1.0, 2.0, 3.0, 4.0], torch.empty(100, dtype=torch.int64).random_(3).max() < 3)",
        "torch.bucketize": "b = torch.tensor([1, 3, 5, 7]); v = torch.tensor([[3, 6, 9], [3, 6, 9]]); (torch.bucketize(v, b), torch.bucketize(v, b, right=True))",
        "Tensor.is_leaf": "x = lin(2).requires_grad_(); (x.is_leaf, (x * 2).is_leaf, lin(2).is_leaf, (lin(2) * 2).is_leaf)",
        "Module.get_submodule": "m = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 2))); type(m.get_submodule('0.0')).__name__",
        "torch.utils.data.sampler.SubsetRandomSampler": "s = sub('torch.utils.data.sampler').SubsetRandomSampler([3, 5, 7]); (sorted(s), len(s))",
        "torch.nn.LogSigmoid": "torch.nn.LogSigmoid()(lin(5))",
        "torch.diag_embed": "(torch.diag_embed(lin(2, 3)), torch.diag_embed(lin(2), offset=1))",
        "torch.nn.init.kaiming_normal": "w = torch.empty(10, 20); torch.nn.init.kaiming_normal(w); w.shape",
        "Tensor.rot90": "(lin(2, 3).rot90(), lin(2, 3).rot90(2, [0, 1]), lin(2, 3).rot90(-1, (0, 1)))",
        "torch.fft.irfftn": "torch.fft.irfftn(torch.fft.rfftn(lin(2, 4)), s=(2, 4))",
        "torch.nn.AdaptiveAvgPool1d": "torch.nn.AdaptiveAvgPool1d(3)(lin(1, 2, 7))",
        "torch.utils.data.sampler.BatchSampler": "list(sub('torch.utils.data.sampler').BatchSampler(range(7), batch_size=3, drop_last=False))",
        "torch.bernoulli": "(torch.bernoulli(torch.tensor([0.0, 1.0, 1.0])), torch.bernoulli(torch.full((3, 2), 0.5)).shape)",
        "torch.std_mean": "(torch.std_mean(lin(2, 3) ** 2), torch.std_mean(lin(2, 3) ** 2, dim=1))",
        "torch.argmin": "(torch.argmin(lin(2, 3) ** 2), torch.argmin(lin(2, 3) ** 2, dim=1))",
        "torch.use_deterministic_algorithms": "torch.use_deterministic_algorithms(True); a = torch.are_deterministic_algorithms_enabled(); torch.use_deterministic_algorithms(False); (a, torch.are_deterministic_algorithms_enabled())",
        "Tensor.index_add_": "x = torch.zeros(3, 2); r = x.index_add_(0, torch.tensor([0, 2, 0]), lin(3, 2)); (x, r is x, torch.zeros(3).index_add_(0, torch.tensor([1]), lin(1), alpha=2))",
        "torch.nn.functional.binary_cross_entropy": "F = torch.nn.functional; p = torch.sigmoid(lin(4)); t = torch.tensor([0.0, 1.0, 0.5, 1.0]); (F.binary_cross_entropy(p, t), F.binary_cross_entropy(p, t, reduction='none'), F.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])))",
        "Tensor.isnan": "torch.tensor([1.0, float('nan')]).isnan()",
        "torch.nn.functional.embedding": "torch.nn.functional.embedding(torch.tensor([[0, 2], [1, 1]]), lin(3, 2))",
        "torch.nn.Hardswish": "torch.nn.Hardswish()(lin(7) * 4)",
        "torch.complex64": "str(torch.complex64)",
        "torch.nn.functional.upsample_nearest": "torch.nn.functional.upsample_nearest(lin(1, 1, 2, 2), scale_factor=2)",
        "Tensor.log10": "torch.tensor([1.0, 10.0, 50.0]).log10()",
        "torch.random.manual_seed": "torch.random.manual_seed(1); a = torch.rand(2); torch.manual_seed(1); bool(torch.equal(a, torch.rand(2)))",
        "Tensor.isfinite": "torch.tensor([1.0, float('inf')]).isfinite()",
        "torch.ByteStorage.from_buffer": "list(torch.ByteStorage.from_buffer(b'abc'))",
        "torch.float8_e4m3fn": "str(torch.float8_e4m3fn)",
        "torch.nn.init.normal": "w = torch.empty(3); torch.nn.init.normal(w); w.shape",
        "Tensor.solve": "torch.eye(2).solve(torch.eye(2))",
        "Tensor.indices": "torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), torch.tensor([3.0, 4.0]), (2, 2)).coalesce().indices()",
        "Tensor.take": "lin(2, 3).take(torch.tensor([0, 5, 2]))",
        "torch.hann_window": "(torch.hann_window(5), torch.hann_window(4, periodic=False))",
        "torch.stft": "torch.stft(lin(16), n_fft=8, hop_length=4, window=torch.hann_window(8), return_complex=True).abs()",
        "torch.special.expm1": "torch.special.expm1(lin(3))",
        "torch.random.fork_rng": """
torch.manual_seed(0)
with torch.random.fork_rng():
    torch.rand(5)
a = torch.rand(2)
torch.manual_seed(0)
bool(torch.equal(a, torch.rand(2)))
""",
        "Tensor.log1p": "lin(3).log1p()",
        "torch.nn.AdaptiveAvgPool3d": "torch.nn.AdaptiveAvgPool3d(1)(lin(1, 2, 2, 3, 3))",
        "Tensor.sqrt_": "x = torch.arange(4.); r = x.sqrt_(); (x, r is x)",
        "torch.nn": "(type(torch.nn.Linear(1, 1)).__name__, hasattr(torch.nn, 'Module'))",
        "torch.utils.data.IterableDataset": """
class It(torch.utils.data.IterableDataset):
    def __iter__(self):
        return iter(range(5))
list(torch.utils.data.DataLoader(It(), batch_size=2))
""",
        "Tensor.conj": "(lin(3).conj(), torch.tensor([1 + 2j]).conj().imag)",
        "Tensor.is_contiguous": "(lin(2, 3).is_contiguous(), lin(2, 3).t().is_contiguous())",
        "torch.utils.hooks.RemovableHandle": "h = torch.nn.Linear(1, 1).register_forward_hook(lambda *a: None); isinstance(h, sub('torch.utils.hooks').RemovableHandle)",
        "torch.nn.GRUCell": "m = fill(torch.nn.GRUCell(3, 2)); (m(lin(4, 3)), m(lin(4, 3), lin(4, 2)))",
        "Tensor.absolute": "lin(3).absolute()",
        "torch.index_select": "torch.index_select(lin(3, 2), 0, torch.tensor([2, 2, 0]))",
        "torch.utils.data.BatchSampler": "list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(5)), 2, drop_last=True))",
        "torch.utils.data.Sampler": """
class S(torch.utils.data.Sampler):
    def __init__(self):
        pass
    def __iter__(self):
        return iter([2, 0])
    def __len__(self):
        return 2
list(torch.utils.data.DataLoader(torch.arange(3) * 10, sampler=S()))
""",
        "torch.nn.LSTMCell": "m = fill(torch.nn.LSTMCell(3, 2)); (m(lin(4, 3)), m(lin(4, 3), (lin(4, 2), lin(4, 2))))",
        "torch.optim.optimizer.required": "repr(sub('torch.optim.optimizer').required)",
        "torch.logical_and": "torch.logical_and(torch.tensor([True, False, True]), torch.tensor([1, 1, 0]))",
        "torch.searchsorted": "s = torch.tensor([1, 3, 5, 7]); (torch.searchsorted(s, torch.tensor([3, 6, 9])), torch.searchsorted(s, torch.tensor([3, 6]), right=True), torch.searchsorted(s, 4))",
        "torch.nn.utils.parameters_to_vector": "m = fill(torch.nn.Linear(2, 2)); torch.nn.utils.parameters_to_vector(m.parameters())",
        "torch.nn.utils.vector_to_parameters": "m = torch.nn.Linear(2, 2); torch.nn.utils.vector_to_parameters(torch.arange(6.), m.parameters()); (m.weight, m.bias)",
        "torch.nn.Hardtanh": "(torch.nn.Hardtanh()(lin(5) * 2), torch.nn.Hardtanh(-0.5, 0.5)(lin(5)))",
        "Tensor.argmin": "(lin(2, 3) ** 2).argmin(1)",
        "torch.distributions.Beta": "d = torch.distributions.Beta(torch.tensor([2.0, 0.5]), torch.tensor([3.0, 0.5])); (d.log_prob(torch.tensor([0.3, 0.9])), d.mean, d.variance, d.entropy(), d.sample((2,)).shape)",
        "Tensor.diff": "(torch.tensor([1, 4, 9, 16]).diff(), lin(2, 3).diff(dim=0), torch.tensor([1.0, 3.0]).diff(n=1, prepend=torch.tensor([0.0])))",
        "torch.log2": "torch.log2(torch.tensor([1.0, 8.0, 3.0]))",
        "Tensor.mv": "lin(2, 3).mv(lin(3))",
        "Tensor.exp_": "x = lin(3); r = x.exp_(); (x, r is x)",
        "torch.nn.Unfold": "torch.nn.Unfold(kernel_size=2, stride=1)(lin(1, 2, 3, 3))",
        "LRScheduler.get_lr": "opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1); s = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5); opt.step(); s.step(); s.get_last_lr()",
        "Tensor.triu": "(lin(3, 3).triu(), lin(3, 3).triu(1))",
        "Tensor.gt_": "x = lin(3); r = x.gt_(0); (x, r is x)",
        "torch.nn.utils.rnn.pad_packed_sequence": "R = torch.nn.utils.rnn; p = R.pack_padded_sequence(lin(3, 2, 1), torch.tensor([3, 2])); tuple(R.pad_packed_sequence(p, batch_first=True, total_length=4))",
        "torch.div": "(torch.div(lin(3), 2), torch.div(torch.arange(-3, 3), 2, rounding_mode='floor'), torch.div(torch.arange(5), 2))",
        "torch.set_float32_matmul_precision": "torch.set_float32_matmul_precision('high'); r = torch.get_float32_matmul_precision(); torch.set_float32_matmul_precision('highest'); r",
        "Tensor.lt": "(lin(3).lt(0), torch.arange(3).lt(torch.tensor([1, 1, 1])))",
        "torch.nn.SELU": "torch.nn.SELU()(lin(5))",
        "Tensor.tril": "(lin(3, 3).tril(), lin(3, 3).tril(-1))",
        "torch.nn.attention.SDPBackend.EFFICIENT_ATTENTION": "str(torch.nn.attention.SDPBackend.EFFICIENT_ATTENTION)",
        "torch.nn.attention.SDPBackend.FLASH_ATTENTION": "str(torch.nn.attention.SDPBackend.FLASH_ATTENTION)",
        "torch.nn.attention.SDPBackend.MATH": """
q = lin(1, 2, 3, 4)
with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
    out = torch.nn.functional.scaled_dot_product_attention(q, q, q)
(str(torch.nn.attention.SDPBackend.MATH), out)
""",
        "Tensor.tile": "(torch.arange(3).tile((2,)), lin(2, 1).tile(1, 3), torch.arange(2).tile((2, 2)))",
        "torch.fft.irfft": "torch.fft.irfft(torch.fft.rfft(lin(6)), n=6)",
        "torch.distributions.OneHotCategorical": "d = torch.distributions.OneHotCategorical(probs=torch.tensor([0.2, 0.8])); (d.log_prob(torch.tensor([0.0, 1.0])), d.sample().shape, d.entropy(), d.event_shape)",
        "torch.distributions.biject_to": "t = torch.distributions.biject_to(torch.distributions.constraints.positive); (t(lin(3)), t.inv(torch.tensor([1.0, 2.0])))",
        "Tensor.gt": "lin(3).gt(0.0)",
        "torch.distributions.utils.lazy_property": """
class A:
    @sub('torch.distributions.utils').lazy_property
    def v(self):
        return 3
A().v
""",
        "torch.nn.UpsamplingBilinear2d": "torch.nn.UpsamplingBilinear2d(scale_factor=2)(lin(1, 1, 2, 2))",
        "torch.distributions.transforms.Transform": "t = sub('torch.distributions.transforms').ExpTransform(); (isinstance(t, torch.distributions.transforms.Transform), t(lin(2)), t.log_abs_det_jacobian(lin(2), t(lin(2))))",
        "Tensor.record_stream": "lin(2).record_stream(torch.cuda.Stream())",
        "torch.fft.rfftn": "torch.fft.rfftn(lin(2, 4)).abs()",
        "torch.nonzero": "(torch.nonzero(torch.tensor([0, 1, 0, 2])), torch.nonzero(torch.tensor([[0, 1], [1, 0]]), as_tuple=True))",
        "torch.view_as_complex": "torch.view_as_complex(lin(2, 2)).abs()",
        "Optimizer.add_param_group": "a = torch.zeros(1, requires_grad=True); b = torch.zeros(2, requires_grad=True); opt = torch.optim.SGD([a], lr=0.1, momentum=0.9); opt.add_param_group({'params': [b], 'lr': 0.01}); [(g['lr'], g['momentum'], len(g['params'])) for g in opt.param_groups]",
    }
)

SMOKE.update(
    {
        "torch.optim.lr_scheduler.MultiStepLR": "lrs(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 4], gamma=0.1))",
        "torch.fft.ifftn": "torch.fft.ifftn(torch.fft.fftn(lin(2, 4))).real",
        "torch.has_cuda": "torch.has_cuda",
        "Tensor.neg": "(lin(3).neg(), torch.arange(3).neg())",
        "torch.nn.utils.weight_norm": "m = torch.nn.utils.weight_norm(fill(torch.nn.Linear(3, 2))); (m.weight_g, m.weight_v, m(lin(2, 3)))",
        "torch.digamma": "torch.digamma(torch.tensor([0.5, 1.0, 3.5]))",
        "Tensor.squeeze_": "x = torch.zeros(1, 2, 1); r = x.squeeze_(); (x.shape, r is x)",
        "torch.channels_last": "x = lin(1, 2, 2, 3).contiguous(memory_format=torch.channels_last); (x, x.is_contiguous(memory_format=torch.channels_last))",
        "torch.ceil": "torch.ceil(lin(5) * 2)",
        "torch.nn.init.dirac_": "w = torch.empty(2, 2, 3); torch.nn.init.dirac_(w); w",
        "torch.nn.functional.rms_norm": "(torch.nn.functional.rms_norm(lin(2, 3), (3,)), torch.nn.functional.rms_norm(lin(2, 3), [3], lin(3), eps=1e-3))",
        "torch.distributions.constraints.real_vector": "c = torch.distributions.constraints.real_vector; (c.check(lin(2, 3)), c.event_dim)",
        "torch.distributions.constraints.Constraint": "isinstance(torch.distributions.constraints.positive, torch.distributions.constraints.Constraint)",
        "Tensor.log_": "x = lin(3) + 2; r = x.log_(); (x, r is x)",
        "torch.clone": "x = lin(3); y = torch.clone(x); y[0] = 5; (x, y)",
        "torch.neg": "torch.neg(lin(3))",
        "torch.tan": "torch.tan(lin(4))",
        "torch.nn.functional.smooth_l1_loss": "F = torch.nn.functional; (F.smooth_l1_loss(lin(5) * 3, torch.zeros(5)), F.smooth_l1_loss(lin(5) * 3, torch.zeros(5), beta=0.5, reduction='none'))",
        "torch.nn.RNNBase": "(isinstance(torch.nn.LSTM(2, 2), torch.nn.RNNBase), isinstance(torch.nn.LSTMCell(2, 2), torch.nn.RNNBase))",
        "Tensor.lerp": "(lin(3).lerp(torch.ones(3), 0.25), lin(3).lerp(torch.ones(3), lin(3)))",
        "torch.utils.data.ConcatDataset": "c = torch.utils.data.ConcatDataset([torch.arange(3), torch.arange(10, 12)]); (len(c), [c[i] for i in range(5)], c.cumulative_sizes)",
        "torch.distributions.transforms.identity_transform": "t = sub('torch.distributions.transforms').identity_transform; (t(lin(2)), t.inv(lin(2)))",
        "Tensor.cummax": "tuple(torch.tensor([1.0, 3.0, 2.0, 5.0]).cummax(0))",
        "Tensor.isinf": "torch.tensor([1.0, float('inf')]).isinf()",
        "torch.utils.data.random_split": "a, b = torch.utils.data.random_split(torch.arange(10), [7, 3]); c, d = torch.utils.data.random_split(range(10), [0.5, 0.5]); (len(a), len(b), sorted([a[i] for i in range(7)] + [b[i] for i in range(3)]), len(c), type(a).__name__)",
        "torch.optim": "type(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)).__name__",
        "torch.nn.init.xavier_normal_": "w = torch.empty(200, 300); r = torch.nn.init.xavier_normal_(w); (r is w, bool((w.std() - math.sqrt(2 / 500)).abs() < 0.002))",
        "torch.fft.rfft": "torch.fft.rfft(lin(6)).abs()",
        "Tensor.floor_": "x = lin(3) * 2; r = x.floor_(); (x, r is x)",
        "torch.nn.ParameterDict": "m = torch.nn.ParameterDict({'a': torch.nn.Parameter(lin(2))}); m['b'] = torch.nn.Parameter(lin(3)); (list(m.keys()), [tuple(p.shape) for p in m.parameters()], m['a'])",
        "torch.nn.PReLU": "m = torch.nn.PReLU(); (m(lin(5)), m.weight, torch.nn.PReLU(3, init=0.1)(lin(2, 3)))",
        "Tensor.H": "lin(2, 3).H",
        "torch.randint_like": "(torch.randint_like(lin(2, 3), 5).shape, torch.randint_like(lin(2, 3), 5).dtype, bool((torch.randint_like(torch.zeros(50), 2, 4) >= 2).all()))",
        "torch.distributions.normal.Normal": "sub('torch.distributions.normal').Normal(0.0, 2.0).log_prob(torch.tensor(1.0))",
        "torch.distributions.Binomial": "d = torch.distributions.Binomial(10, torch.tensor([0.2, 0.7])); (d.log_prob(torch.tensor([2.0, 7.0])), d.mean, d.variance, d.sample().shape)",
        "torch.logaddexp": "torch.logaddexp(lin(3), lin(3) ** 2)",
        "torch.median": "x = torch.tensor([[3.0, 1.0, 2.0, 4.0], [0.0, 5.0, 4.0, 4.0]]); (torch.median(x), tuple(torch.median(x, dim=1)))",
        "Tensor.erfinv_": "x = lin(3) * 0.9; r = x.erfinv_(); (x, r is x)",
        "torch.serialization.safe_globals": """
import io
buf = io.BytesIO()
torch.save({'a': lin(2)}, buf)
buf.seek(0)
with torch.serialization.safe_globals([]):
    r = torch.load(buf)
r
""",
        "torch.unique_consecutive": "x = torch.tensor([1, 1, 2, 2, 3, 1, 1]); (torch.unique_consecutive(x), tuple(torch.unique_consecutive(x, return_counts=True)))",
        "Tensor.pinverse": "(lin(3, 2) ** 2 + torch.eye(3, 2)).pinverse()",
        "torch.nn.attention.sdpa_kernel": """
q = lin(1, 2, 3, 4)
with torch.nn.attention.sdpa_kernel([torch.nn.attention.SDPBackend.MATH]):
    out = torch.nn.functional.scaled_dot_product_attention(q, q, q)
out
""",
        "Tensor.swapaxes": "lin(2, 3, 4).swapaxes(0, 2).shape",
        "torch.optim.swa_utils.AveragedModel": """
m = fill(torch.nn.Linear(2, 1))
avg = torch.optim.swa_utils.AveragedModel(m)
with torch.no_grad():
    m.weight.add_(1.0)
avg.update_parameters(m)
(avg.module.weight, avg.n_averaged)
""",
        "Tensor.retain_grad": "x = lin(3).requires_grad_(); y = x * 2; y.retain_grad(); (y * y).sum().backward(); (y.grad, x.grad)",
        "torch.fft.fftshift": "(torch.fft.fftshift(torch.arange(5)), torch.fft.fftshift(torch.arange(6).reshape(2, 3), dim=1))",
        "torch.utils.data.sampler.RandomSampler": "sorted(sub('torch.utils.data.sampler').RandomSampler(range(5)))",
        "torch.fft.fftn": "torch.fft.fftn(lin(2, 4)).abs()",
        "torch.fft.ifftshift": "torch.fft.ifftshift(torch.arange(5))",
        "torch.nn.Fold": "torch.nn.Fold(output_size=(3, 3), kernel_size=2)(lin(1, 8, 4))",
        "torch.count_nonzero": "x = torch.tensor([[0, 1, 2], [0, 0, 3]]); (torch.count_nonzero(x), torch.count_nonzero(x, dim=1))",
        "torch.nn.ReLU6": "torch.nn.ReLU6()(lin(5) * 8)",
        "torch.is_floating_point": "(torch.is_floating_point(lin(2)), torch.is_floating_point(torch.arange(2)))",
        "Module.named_buffers": "[(n, b) for n, b in torch.nn.BatchNorm1d(2).named_buffers()]",
        "torch.linalg.vecdot": "(torch.linalg.vecdot(lin(2, 3), lin(2, 3) ** 2), torch.linalg.vecdot(lin(3, 2), lin(3, 2), dim=0))",
        "torch.nn.modules.sparse.Embedding": "sub('torch.nn.modules.sparse').Embedding(3, 2).weight.shape",
        "Tensor.amin": "(lin(2, 3) ** 2).amin(1)",
        "Tensor.expm1": "lin(3).expm1()",
        "torch.utils.data.sampler.SequentialSampler": "list(sub('torch.utils.data.sampler').SequentialSampler(range(3)))",
        "torch.quantile": "x = lin(2, 5) ** 2; (torch.quantile(x, 0.3), torch.quantile(x, torch.tensor([0.25, 0.75]), dim=1), torch.quantile(x, 0.5, dim=0, keepdim=True, interpolation='nearest'))",
        "torch.autograd.profiler.profile": """
with torch.autograd.profiler.profile() as prof:
    y = lin(2, 2) @ lin(2, 2)
(y, type(prof).__name__)
""",
        "torch.futures.wait_all": "f = torch.futures.Future(); f.set_result(2); torch.futures.wait_all([f])",
        "torch.nn.modules.dropout.Dropout": "sub('torch.nn.modules.dropout').Dropout(0.1).p",
        "torch.nn.modules.linear.Linear": "isinstance(torch.nn.Linear(1, 1), sub('torch.nn.modules.linear').Linear)",
        "torch.half": "(torch.half, torch.half == torch.float16)",
        "torch.nn.RNNCell": "m = fill(torch.nn.RNNCell(3, 2)); (m(lin(4, 3)), torch.nn.RNNCell(3, 2, nonlinearity='relu').nonlinearity)",
        "torch.optim.Rprop": "train(lambda p: torch.optim.Rprop(p, lr=0.01))",
        "torch.set_printoptions": "torch.set_printoptions(precision=2); r = str(torch.tensor([1.23456, 2.5])); torch.set_printoptions(profile='default'); (r, str(torch.tensor([1.23456])))",
        "torch.cholesky_solve": "a = lin(3, 3); s = a @ a.t() + torch.eye(3); L = torch.linalg.cholesky(s); (torch.cholesky_solve(lin(3, 2), L), torch.cholesky_solve(lin(3, 1), L.t(), upper=True))",
        "torch.vstack": "(torch.vstack([lin(3), lin(3)]), torch.vstack((lin(1, 2), lin(2, 2))))",
        "Tensor.kthvalue": "tuple(torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]).kthvalue(2, dim=1))",
        "torch.trapezoid": "(torch.trapezoid(lin(5) ** 2), torch.trapezoid(lin(5) ** 2, dx=0.5), torch.trapezoid(lin(5) ** 2, lin(5)))",
        "torch.logdet": "a = lin(3, 3); torch.logdet(a @ a.t() + torch.eye(3))",
        "torch.float8_e5m2": "str(torch.float8_e5m2)",
        "torch.utils.data.dataloader.default_collate": "sub('torch.utils.data.dataloader').default_collate([(lin(2), 1, {'a': 2.0}), (lin(2) * 2, 3, {'a': 4.0})])",
        "torch.linalg.svdvals": "torch.linalg.svdvals(lin(3, 2) ** 2 + torch.eye(3, 2))",
        "torch.nn.functional.conv3d": "torch.nn.functional.conv3d(lin(1, 2, 3, 3, 3), lin(2, 2, 2, 2, 2), lin(2), padding=1)",
        "torch.distributions.MixtureSameFamily": "D = torch.distributions; d = D.MixtureSameFamily(D.Categorical(probs=torch.tensor([0.3, 0.7])), D.Normal(torch.tensor([-1.0, 1.0]), torch.tensor([0.5, 1.0]))); (d.log_prob(lin(3)), d.mean, d.variance, d.sample((4,)).shape)",
        "Tensor.bfloat16": "lin(3).bfloat16()",
        "torch.nn.functional.grid_sample": "F = torch.nn.functional; g = lin(1, 2, 3, 2) * 0.9; (F.grid_sample(lin(1, 1, 3, 4) ** 2, g, align_corners=False), F.grid_sample(lin(1, 1, 3, 4) ** 2, g, mode='nearest', padding_mode='border', align_corners=True))",
        "torch.distributions.transform_to": "t = torch.distributions.transform_to(torch.distributions.constraints.interval(0.0, 2.0)); t(lin(3))",
        "torch.nn.functional.conv1d": "F = torch.nn.functional; (F.conv1d(lin(1, 2, 6), lin(3, 2, 3)), F.conv1d(lin(1, 2, 6), lin(2, 1, 3), lin(2), stride=2, padding=1, groups=2))",
        "torch.fft.fft2": "torch.fft.fft2(lin(2, 4)).abs()",
        "Tensor.pow_": "x = lin(3); r = x.pow_(2); (x, r is x)",
        "Tensor.diag_embed": "lin(2, 2).diag_embed()",
        "torch.masked_select": "torch.masked_select(lin(2, 3), lin(2, 3) > 0)",
        "torch.nn.functional.cosine_similarity": "F = torch.nn.functional; (F.cosine_similarity(lin(2, 3), lin(2, 3) ** 2), F.cosine_similarity(lin(2, 3), lin(2, 3).flip(0), dim=0), F.cosine_similarity(torch.zeros(1, 2), lin(1, 2)))",
        "torch.nn.functional.bilinear": "torch.nn.functional.bilinear(lin(4, 2), lin(4, 3), lin(5, 2, 3), lin(5))",
        "torch.nn.functional.embedding_bag": "torch.nn.functional.embedding_bag(torch.tensor([0, 2, 1, 1]), lin(3, 2), torch.tensor([0, 2]), mode='sum')",
        "torch.distributions.constraints.unit_interval": "torch.distributions.constraints.unit_interval.check(torch.tensor([0.0, 0.5, 1.0, 1.5]))",
        "torch.nn.functional.group_norm": "(torch.nn.functional.group_norm(lin(2, 4, 3) ** 2, 2), torch.nn.functional.group_norm(lin(2, 4, 3) ** 2, 2, lin(4), lin(4)))",
        "torch.distributions.utils.broadcast_all": "sub('torch.distributions.utils').broadcast_all(lin(3), 1.0)",
        "torch.optim.RAdam": "train(lambda p: torch.optim.RAdam(p, lr=0.01), steps=8)",
        "torch.nn.functional.unfold": "(torch.nn.functional.unfold(lin(1, 2, 3, 3), 2), torch.nn.functional.unfold(lin(1, 1, 4, 4), kernel_size=2, stride=2, padding=1))",
        "LRScheduler.get_last_lr": "opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1); s = torch.optim.lr_scheduler.ExponentialLR(opt, 0.5); opt.step(); s.step(); s.get_last_lr()",
        "torch.autograd.set_grad_enabled": """
x = lin(2).requires_grad_()
with torch.autograd.set_grad_enabled(False):
    y = x * 2
y.requires_grad
""",
        "torch.Future": "f = torch.futures.Future(); f.set_result(5); (isinstance(f, torch.Future), f.wait())",
        "torch.broadcast_to": "(torch.broadcast_to(lin(3), (2, 3)), torch.broadcast_to(lin(2, 1), size=(2, 4)).shape)",
        "torch.kthvalue": "tuple(torch.kthvalue(torch.tensor([3.0, 1.0, 2.0]), 2))",
        "Tensor.cholesky": "a = lin(3, 3); (a @ a.t() + torch.eye(3)).cholesky()",
        "torch.ger": "torch.ger(lin(2), lin(3))",
        "Tensor.bincount": "(torch.tensor([0, 1, 1, 3]).bincount(), torch.tensor([0, 1, 1]).bincount(weights=torch.tensor([0.5, 1.0, 2.0]), minlength=4))",
        "torch.arctan2": "torch.arctan2(lin(4), lin(4).flip(0))",
        "torch.erf": "torch.erf(lin(5))",
        "torch.distributions.TransformedDistribution": "D = torch.distributions; d = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.ExpTransform()]); d.log_prob(torch.tensor([0.5, 2.0]))",
        "torch.fft.ifft2": "torch.fft.ifft2(torch.fft.fft2(lin(2, 4))).real",
        "torch.arccos": "torch.arccos(lin(5) * 0.9)",
        "Tensor.chalf": "str(lin(2).chalf().dtype)",
        "Tensor.is_complex": "(lin(2).is_complex(), torch.arange(2).is_complex())",
        "torch.argwhere": "torch.argwhere(torch.tensor([[0, 1], [2, 0]]))",
        "torch.chalf": "str(torch.chalf)",
        "torch.cross": "(torch.cross(lin(2, 3), lin(2, 3) ** 2, dim=1), torch.linalg.cross(lin(3), lin(3).flip(0)))",
        "torch.fft.rfft2": "torch.fft.rfft2(lin(2, 4)).abs()",
        "torch.distributions.transforms.AffineTransform": "t = sub('torch.distributions.transforms').AffineTransform(1.0, 2.0); (t(lin(3)), t.inv(lin(3)), t.log_abs_det_jacobian(lin(3), t(lin(3))))",
        "torch.jagged": "str(torch.jagged)",
        "torch.nested.nested_tensor": "torch.nested.nested_tensor([lin(2), lin(3)]).to_padded_tensor(0.0)",
        "torch.tensor_split": "(torch.tensor_split(torch.arange(7), 3), torch.tensor_split(torch.arange(7), [1, 5]), torch.tensor_split(lin(2, 4), 2, dim=1))",
        "Tensor.lgamma": "torch.tensor([0.5, 3.0]).lgamma()",
        "Tensor.abs_": "x = lin(3); r = x.abs_(); (x, r is x)",
        "torch.distributions.Cauchy": "d = torch.distributions.Cauchy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])); (d.log_prob(torch.tensor([0.5, 0.5])), d.entropy(), d.cdf(torch.tensor([0.0, 2.0])), d.sample().shape)",
        "torch.nn.KLDivLoss": "p = torch.log_softmax(lin(2, 3), 1); q = torch.softmax(lin(2, 3) ** 2, 1); (torch.nn.KLDivLoss(reduction='batchmean')(p, q), torch.nn.KLDivLoss(reduction='sum', log_target=True)(p, q.log()))",
        "torch.nan": "math.isnan(torch.nan)",
        "torch.nn.GLU": "torch.nn.GLU()(lin(2, 4))",
        "torch.nn.attention.SDPBackend.CUDNN_ATTENTION": "str(torch.nn.attention.SDPBackend.CUDNN_ATTENTION)",
        "torch.torch.Tensor": "torch.torch.Tensor([1.0, 2.0])",
        "torch.nn.modules.container.ModuleList": "len(sub('torch.nn.modules.container').ModuleList([torch.nn.ReLU()]))",
        "torch.cartesian_prod": "torch.cartesian_prod(torch.arange(2), torch.arange(3))",
        "Tensor.is_xpu": "lin(2).is_xpu",
        "torch.nn.Transformer": "m = torch.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8, dropout=0.0); fill(m).eval(); (m(lin(3, 2, 4), lin(2, 2, 4) ** 2), sum(p.numel() for p in m.parameters()))",
        "torch.nn.modules.activation.MultiheadAttention": "sub('torch.nn.modules.activation').MultiheadAttention(4, 2).in_proj_weight.shape",
        "torch.nn.modules.linear.NonDynamicallyQuantizableLinear": "sub('torch.nn.modules.linear').NonDynamicallyQuantizableLinear(2, 3).weight.shape",
        "torch.nn.modules.normalization.LayerNorm": "sub('torch.nn.modules.normalization').LayerNorm(3)(lin(2, 3))",
        "torch.nn.modules.rnn.GRU": "isinstance(torch.nn.GRU(2, 2), sub('torch.nn.modules.rnn').GRU)",
        "torch.nn.modules.rnn.LSTM": "isinstance(torch.nn.LSTM(2, 2), sub('torch.nn.modules.rnn').LSTM)",
        "torch.nn.modules.rnn.RNN": "isinstance(torch.nn.RNN(2, 2), sub('torch.nn.modules.rnn').RNN)",
        "torch.nn.modules.transformer.TransformerEncoder": "T = sub('torch.nn.modules.transformer'); m = fill(T.TransformerEncoder(T.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2, enable_nested_tensor=False)).eval(); m(lin(3, 2, 4))",
        "torch.nn.modules.transformer.TransformerEncoderLayer": "m = fill(sub('torch.nn.modules.transformer').TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True, norm_first=True)).eval(); m(lin(2, 3, 4))",
        "torch.le": "torch.le(lin(3), 0)",
        "torch.utils.data.get_worker_info": "torch.utils.data.get_worker_info()",
        "torch.func.functional_call": "m = fill(torch.nn.Linear(2, 1)); torch.func.functional_call(m, {'weight': torch.ones(1, 2), 'bias': torch.zeros(1)}, (lin(3, 2),))",
        "Tensor.addcmul": "lin(3).addcmul(lin(3), lin(3), value=2)",
        "torch.det": "torch.det(lin(3, 3) + 2 * torch.eye(3))",
        "Tensor.grad_fn": "x = lin(2).requires_grad_(); (type((x * 2).grad_fn).__name__, x.grad_fn, (x * 2).grad_fn.next_functions[0][0].__class__.__name__)",
        "torch.hstack": "torch.hstack([lin(2, 1), lin(2, 2)])",
        "Tensor.expm1_": "x = lin(3); x.expm1_(); x",
        "Tensor.log1p_": "x = lin(3) + 0.5; x.log1p_(); x",
        "torch.solve": "torch.solve(torch.eye(2), torch.eye(2))",
        "torch.distributions.constraints.interval": "torch.distributions.constraints.interval(0.0, 1.0).check(torch.tensor([-0.1, 0.5, 1.0]))",
        "torch.distributions.transforms.IndependentTransform": "T = sub('torch.distributions.transforms'); t = T.IndependentTransform(T.ExpTransform(), 1); (t(lin(2, 3)), t.log_abs_det_jacobian(lin(2, 3), t(lin(2, 3))))",
        "torch.nn.utils.convert_parameters.parameters_to_vector": "sub('torch.nn.utils.convert_parameters').parameters_to_vector([lin(2, 2), lin(3)])",
        "torch.distributions.Laplace": "d = torch.distributions.Laplace(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])); (d.log_prob(torch.tensor([0.5, 0.5])), d.mean, d.variance, d.entropy(), d.cdf(torch.tensor([0.0, 2.0])), d.sample().shape)",
        "Tensor.atanh": "(lin(5) * 0.9).atanh()",
        "torch.bincount": "torch.bincount(torch.tensor([0, 2, 2, 5]))",
        "torch.promote_types": "(torch.promote_types(torch.int64, torch.float32), torch.promote_types(torch.uint8, torch.int8), torch.promote_types(torch.bool, torch.int32))",
        "torch.nn.functional.instance_norm": "torch.nn.functional.instance_norm(lin(2, 2, 4) ** 2)",
        "torch.utils.data.sampler.Sampler": "issubclass(torch.utils.data.RandomSampler, sub('torch.utils.data.sampler').Sampler)",
        "torch.distributions.constraints.lower_cholesky": "torch.distributions.constraints.lower_cholesky.check(torch.stack([torch.eye(2), torch.ones(2, 2)]))",
        "torch.autograd.gradgradcheck": "x = torch.linspace(-1, 1, 3, dtype=torch.float64, requires_grad=True); torch.autograd.gradgradcheck(lambda x: (x ** 3).sin(), (x,))",
        "torch.nn.LogSoftmax": "torch.nn.LogSoftmax(dim=1)(lin(2, 3))",
        "Module.register_full_backward_hook": """
m = fill(torch.nn.Linear(2, 2))
seen = []
m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin[0], gout[0])))
x = lin(1, 2).requires_grad_()
m(x).sum().backward()
seen
""",
        "torch.optim.adam.Adam": "sub('torch.optim.adam').Adam([torch.zeros(1, requires_grad=True)]).defaults['lr']",
        "torch.BoolTensor": "torch.BoolTensor([True, False])",
        "torch.nn.functional.hardtanh": "torch.nn.functional.hardtanh(lin(5) * 2, -0.5, 0.5)",
        "torch.nn.utils.prune.l1_unstructured": "m = fill(torch.nn.Linear(3, 2)); sub('torch.nn.utils.prune').l1_unstructured(m, 'weight', amount=0.5); (m.weight, m.weight_mask)",
        "torch.nn.utils.prune.remove": "P = sub('torch.nn.utils.prune'); m = fill(torch.nn.Linear(3, 2)); P.l1_unstructured(m, 'weight', amount=2); P.remove(m, 'weight'); (m.weight, [n for n, _ in m.named_parameters()])",
        "torch.fft.fft": "(torch.fft.fft(lin(6)).abs(), torch.fft.fft(lin(6), n=8).real)",
        "torch.nn.SmoothL1Loss": "torch.nn.SmoothL1Loss()(lin(5) * 3, torch.zeros(5))",
        "torch.squeeze": "(torch.squeeze(torch.zeros(1, 2, 1)).shape, torch.squeeze(torch.zeros(1, 2, 1), 0).shape)",
        "torch.var_mean": "(torch.var_mean(lin(2, 3) ** 2), torch.var_mean(lin(2, 3) ** 2, dim=0, correction=0))",
        "torch.func.grad_and_value": "torch.func.grad_and_value(lambda x: (x ** 3).sum())(lin(3))",
        "torch.quasirandom.SobolEngine": "torch.quasirandom.SobolEngine(2).draw(4)",
        "torch.autograd.functional.vjp": "torch.autograd.functional.vjp(lambda x: x ** 2, lin(3), torch.ones(3))",
        "torch.nextafter": "torch.nextafter(torch.tensor([1.0, 2.0]), torch.tensor([2.0, 1.0])) - torch.tensor([1.0, 2.0])",
        "torch.distributions.transforms.SigmoidTransform": "t = sub('torch.distributions.transforms').SigmoidTransform(); (t(lin(3)), t.inv(torch.tensor([0.2, 0.7])), t.log_abs_det_jacobian(lin(3), t(lin(3))))",
        "Tensor.det": "(lin(2, 2) + torch.eye(2)).det()",
        "Tensor.quantile": "(lin(5) ** 2).quantile(torch.tensor([0.1, 0.5]))",
        "torch.distributions.Transform": "issubclass(torch.distributions.ExpTransform, torch.distributions.Transform)",
        "torch.distributions.HalfNormal": "d = torch.distributions.HalfNormal(torch.tensor([1.0, 2.0])); (d.log_prob(torch.tensor([0.5, 1.0])), d.mean, d.entropy(), d.sample().shape)",
        "torch.distributions.Exponential": "d = torch.distributions.Exponential(torch.tensor([1.0, 2.0])); (d.log_prob(torch.tensor([0.5, 1.0])), d.mean, d.variance, d.entropy(), d.cdf(torch.tensor([0.5, 1.0])), d.rsample((3,)).shape)",
    }
)
