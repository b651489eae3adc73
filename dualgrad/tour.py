"""The tour: the seed documents' examples, run end to end on dualgrad, each result checked.

    python -m dualgrad.tour [--out DIR]

Steps: a JVP with dual tensors, a module with dual parameters, a custom Function with a jvp
(seed 001); a Hessian-vector product by forward-over-reverse against the double-vjp trick,
timed and with peak memory; a full Jacobian by jacrev/jacfwd, by forward-mode columns and by
reverse-mode rows (seed 003); the four double-backward Functions of seed 004 (and SinhBad, the
one that is wrong) with gradcheck and gradgradcheck. Each check prints PASS or FAIL and the exit
code is 1 if any failed. The graph pictures are written to DIR (default ./tour-out) as SVG and
PNG when the ``graphviz`` package and the ``dot`` program are installed, as DOT source when only
the package is, and skipped with a note otherwise: the tour needs NumPy only.

Steps that need a part of dualgrad that is not there (``dualgrad.nn``, ``dualgrad.func``) say
so in one line and use what is there.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD


# ---------------------------------------------------------------------------- report
class Report:
    """Prints progress, checks and notes as they happen; counts the checks."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.passed = 0
        self.failed = []

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def step(self, i: int, n: int, title: str) -> None:
        self.line(f"[{i}/{n}] {title}")

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        ok = bool(ok)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        self.line(f"  {'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""))
        return ok

    def close(self, name, got, expected, rtol=1e-7, atol=1e-9) -> bool:
        got, expected = _array(got), _array(expected)
        ok = got.shape == expected.shape and np.allclose(got, expected, rtol=rtol, atol=atol)
        detail = (
            ""
            if ok
            else (
                f"shapes {got.shape} vs {expected.shape}"
                if got.shape != expected.shape
                else f"largest difference {np.max(np.abs(got - expected)):.3g}"
            )
        )
        return self.check(name, ok, detail)

    def note(self, text: str) -> None:
        self.line(f"  note: {text}")


def _array(t) -> np.ndarray:
    if isinstance(t, dg.Tensor):
        return np.asarray(t.tolist(), dtype=np.float64)  # tolist: fine on tensors with history
    return np.asarray(t, dtype=np.float64)


# ---------------------------------------------------------------------------- pictures
class Pictures:
    """Writes graphs to ``out``: SVG and PNG with ``dot``, DOT source without it, or nothing."""

    def __init__(self, out: Path, report: Report, enabled: bool = True):
        self.out = out
        self.report = report
        self.written: list[Path] = []
        self.mode = "none"
        self.why = "pictures not asked for"
        if not enabled:
            return
        try:
            importlib.import_module("graphviz")
        except ImportError:
            self.why = (
                "pictures skipped: the graphviz Python package is not installed "
                "(pip install 'dualgrad[viz]')"
            )
            return
        from dualgrad.viz import dot_available

        if dot_available():
            self.mode, self.why = "render", ""
        else:
            self.mode = "source"
            self.why = (
                "the Graphviz 'dot' program is not installed, so pictures are written "
                "as DOT source (.gv); to render them: apt-get install graphviz "
                "(or brew install graphviz)"
            )

    def save(self, name: str, make) -> None:
        """``make()`` returns the Digraph; it is only called when pictures are written."""
        if self.mode == "none":
            return
        try:
            dot = make()
            self.out.mkdir(parents=True, exist_ok=True)
            if self.mode == "render":
                files = []
                for fmt in ("svg", "png"):
                    path = self.out / f"{name}.{fmt}"
                    path.write_bytes(dot.pipe(format=fmt))
                    files.append(path)
            else:
                path = self.out / f"{name}.gv"
                path.write_text(dot.source)
                files = [path]
        except Exception as e:  # a picture that fails is reported, the tour goes on
            self.report.check(f"picture {name} drawn", False, f"{type(e).__name__}: {e}")
            return
        self.written.extend(files)
        self.report.line("  picture: " + ", ".join(str(p) for p in files))


def _optional(name: str):
    """The module ``name`` if this dualgrad has it, else None (only a missing module is)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and name.startswith(e.name):
            return None
        raise


def _timed(fn, repeat: int = 3):
    """(result, best wall time in seconds, peak traced memory in bytes)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, best, peak


def _table(report: Report, rows) -> None:
    width = max(len(r[0]) for r in rows)
    report.line(f"    {'':<{width}}  {'time':>10}  {'peak memory':>12}")
    for name, seconds, peak in rows:
        report.line(f"    {name:<{width}}  {seconds * 1e3:>8.2f}ms  {peak / 2**20:>10.2f}MB")


def _reaches(t, x) -> bool:
    """Whether ``t``'s backward graph reaches ``x`` (its node, or the leaf's AccumulateGrad)."""
    if t.grad_fn is None:
        return False
    stack, seen = [t.grad_fn], set()
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn is x.grad_fn or getattr(fn, "variable", None) is x:
            return True
        stack.extend(u for u, _ in fn.next_functions if u is not None)
    return False


# ---------------------------------------------------------------------------- the steps
def step_jvp(report: Report, pictures: Pictures) -> None:
    primal = dg.randn(10, 10)
    tangent = dg.randn(10, 10)

    def fn(x, y):
        return x**2 + y**2

    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        report.check(
            "make_dual keeps a tangent of the primal's layout as it is",
            fwAD.unpack_dual(dual_input).tangent is tangent,
        )
        dual_input_alt = fwAD.make_dual(primal, tangent.T)
        alt = fwAD.unpack_dual(dual_input_alt).tangent
        report.check(
            "make_dual copies a tangent of another layout (tangent.T)",
            alt is not tangent and np.array_equal(_array(alt), _array(tangent.T)),
        )
        plain_tensor = dg.randn(10, 10)
        dual_output = fn(dual_input, plain_tensor)
        jvp = fwAD.unpack_dual(dual_output).tangent
    report.close(
        "jvp of x**2 + y**2 along (t, 0) is 2·x·t",
        jvp,
        2 * _array(primal) * _array(tangent),
        rtol=1e-5,
        atol=1e-6,
    )
    report.check(
        "the tangent is gone once the level is closed",
        fwAD.unpack_dual(dual_output).tangent is None,
    )

    def picture():
        from dualgrad.viz import trace_dot

        return trace_dot(fn, primal, plain_tensor, tangents=(tangent, None), names=("x", "y"))

    pictures.save("forward_jvp", picture)


def step_modules(report: Report, pictures: Pictures) -> None:
    nn = _optional("dualgrad.nn")
    if nn is None:
        report.line("  skipped: needs dualgrad.nn")
        return
    from dualgrad.nn.utils.stateless import functional_call

    model = nn.Linear(5, 5)
    input = dg.randn(16, 5)
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: dg.rand_like(p) for name, p in params.items()}
    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        out = model(input)
        jvp = fwAD.unpack_dual(out).tangent

    model = nn.Linear(5, 5)  # a fresh module: functional_call needs registered parameters
    dual_params = {}
    with fwAD.dual_level():
        for name, p in params.items():
            dual_params[name] = fwAD.make_dual(p, tangents[name])
        out = functional_call(model, dual_params, input)
        jvp2 = fwAD.unpack_dual(out).tangent
    report.close(
        "dual parameters set on the module and functional_call agree",
        jvp,
        jvp2,
        rtol=1e-5,
        atol=1e-6,
    )
    expected = _array(input) @ _array(tangents["weight"]).T + _array(tangents["bias"])
    report.close(
        "jvp of Linear along its parameters is input @ W_t.T + b_t",
        jvp,
        expected,
        rtol=1e-5,
        atol=1e-5,
    )

    def picture():
        from dualgrad.viz import forward_trace

        with forward_trace() as tr, fwAD.dual_level():
            duals = {name: fwAD.make_dual(p, tangents[name]) for name, p in params.items()}
            y = functional_call(model, duals, input)
        return tr.dot(y, params={**params, "input": input, "out": y})

    pictures.save("forward_module", picture)


class Fn(dg.autograd.Function):
    """Seed 001's Function: exp with a jvp and no backward."""

    @staticmethod
    def forward(ctx, foo):
        result = dg.exp(foo)
        # Tensors stored in ctx can be used in the subsequent forward grad computation.
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result  # not needed by a backward: free it
        return gO


def step_function(report: Report, pictures: Pictures) -> None:
    primal = dg.randn(10, 10, dtype=dg.double, requires_grad=True)
    tangent = dg.randn(10, 10)
    with fwAD.dual_level():
        dual_output = Fn.apply(fwAD.make_dual(primal, tangent))
        jvp = fwAD.unpack_dual(dual_output).tangent
    report.close(
        "Fn's jvp is exp(x)·t", jvp, np.exp(_array(primal)) * _array(tangent), rtol=1e-6, atol=1e-7
    )
    ok = dg.autograd.gradcheck(
        Fn.apply,
        (primal,),
        check_forward_ad=True,
        check_backward_ad=False,
        check_undefined_grad=False,
        check_batched_grad=False,
        raise_exception=False,
    )
    report.check("gradcheck(Fn.apply, check_forward_ad=True)", ok)
    (g,) = dg.autograd.grad(Fn.apply(primal).sum(), primal)
    report.close(
        "reverse mode through Fn (backward derived from its jvp) gives exp(x)",
        g,
        np.exp(_array(primal)),
    )

    def picture():
        from dualgrad.viz import trace_dot

        x = dg.tensor([0.0, 0.5, 1.0], dtype=dg.double)
        return trace_dot(
            Fn.apply,
            x,
            tangents=dg.tensor([1.0, 1.0, 1.0], dtype=dg.double),
            names=("x",),
            show_values=True,
        )

    pictures.save("forward_function", picture)


def step_hvp(report: Report, pictures: Pictures) -> None:
    n = 500
    rng = np.random.default_rng(0)
    A = dg.tensor(rng.standard_normal((n, n)) / np.sqrt(n))
    x0 = rng.standard_normal(n)
    v = dg.tensor(rng.standard_normal(n))

    def loss(x):  # a logistic-regression-like loss: sum(log(1 + exp(A x))) + |x|²/2
        return dg.sum(dg.log1p(dg.exp(A @ x))) + 0.5 * dg.sum(x * x)

    def forward_over_reverse():
        x = dg.tensor(x0, requires_grad=True)
        with fwAD.dual_level():
            x_dual = fwAD.make_dual(x, v)
            (g,) = dg.autograd.grad(loss(x_dual), x_dual)
            return fwAD.unpack_dual(g).tangent

    def double_vjp():
        x = dg.tensor(x0, requires_grad=True)
        (g,) = dg.autograd.grad(loss(x), x, create_graph=True)
        u = dg.zeros(n, dtype=dg.double, requires_grad=True)  # the vjp is linear in u
        (vjp,) = dg.autograd.grad(g, x, grad_outputs=u, create_graph=True)
        (hvp,) = dg.autograd.grad(vjp, u, grad_outputs=v)
        return hvp

    hvp_fr, t_fr, m_fr = _timed(forward_over_reverse)
    hvp_rr, t_rr, m_rr = _timed(double_vjp)
    a, xn, vn = _array(A), x0, _array(v)
    s = 1 / (1 + np.exp(-(a @ xn)))
    expected = a.T @ (s * (1 - s) * (a @ vn)) + vn
    report.close(
        f"forward-over-reverse HVP (n={n}) matches Aᵀ diag(σ(1-σ)) A v + v", hvp_fr, expected
    )
    report.close("the double-vjp trick gives the same HVP", hvp_rr, hvp_fr)
    _table(report, [("forward-over-reverse", t_fr, m_fr), ("double-vjp trick", t_rr, m_rr)])

    def small():
        x = dg.tensor([0.5, -1.0, 2.0], dtype=dg.double, requires_grad=True)
        return x, dg.tensor([1.0, 0.0, 0.0], dtype=dg.double)

    def small_loss(x):
        return dg.sum(dg.sin(x) * x)

    def picture_fr():
        from dualgrad.viz import forward_trace

        x, t = small()
        with forward_trace() as tr, fwAD.dual_level():
            (g,) = dg.autograd.grad(small_loss(fwAD.make_dual(x, t)), x, create_graph=True)
        return tr.dot(g, params={"x": x, "grad": g}, show_values=True)

    def picture_rr():
        from dualgrad.viz import make_dot

        x, t = small()
        out = small_loss(x)
        (g,) = dg.autograd.grad(out, x, create_graph=True)
        u = dg.zeros(3, dtype=dg.double, requires_grad=True)
        (vjp,) = dg.autograd.grad(g, x, grad_outputs=u, create_graph=True)
        return make_dot((vjp, g, out), params={"x": x, "u": u, "grad": g, "vjp": vjp, "loss": out})

    pictures.save("hvp_forward_over_reverse", picture_fr)
    pictures.save("hvp_double_vjp", picture_rr)


def step_jacobian(report: Report, pictures: Pictures) -> None:
    m, n = 60, 40
    rng = np.random.default_rng(1)
    W = dg.tensor(rng.standard_normal((m, n)) / np.sqrt(n))
    x0 = dg.tensor(rng.standard_normal(n))

    def f(x):
        return dg.tanh(W @ x)

    def unit_vectors(length):
        return [dg.tensor(np.eye(length)[i]) for i in range(length)]

    def row_loop():  # seed 003: one reverse pass per output
        x = x0.detach().requires_grad_()
        y = f(x)
        rows = [
            dg.autograd.grad([y], [x], grad_outputs=[unit], retain_graph=True)[0]
            for unit in unit_vectors(m)
        ]
        return dg.stack(rows, dim=0)

    def column_loop():  # one forward pass per input, with a dual tensor
        with fwAD.dual_level():
            cols = [fwAD.unpack_dual(f(fwAD.make_dual(x0, e))).tangent for e in unit_vectors(n)]
        return dg.stack(cols, dim=1)

    wn, xn = _array(W), _array(x0)
    expected = (1 - np.tanh(wn @ xn) ** 2)[:, None] * wn
    J_rows, t_rows, m_rows = _timed(row_loop)
    report.close(
        f"reverse row loop ({m} backward passes) gives diag(1 - tanh²(Wx)) W", J_rows, expected
    )
    J_cols, t_cols, m_cols = _timed(column_loop)
    report.close(f"forward column loop ({n} dual passes) gives the same Jacobian", J_cols, J_rows)
    rows = [("reverse row loop", t_rows, m_rows), ("forward column loop", t_cols, m_cols)]
    func = _optional("dualgrad.func")
    if func is None:
        report.line("  skipped jacrev/jacfwd: needs dualgrad.func")
    else:
        J_rev, t_rev, m_rev = _timed(lambda: func.jacrev(f)(x0))
        J_fwd, t_fwd, m_fwd = _timed(lambda: func.jacfwd(f)(x0))
        report.close("dualgrad.func.jacrev gives the same Jacobian", J_rev, J_rows)
        report.close("dualgrad.func.jacfwd gives the same Jacobian", J_fwd, J_rows)
        rows += [("func.jacrev", t_rev, m_rev), ("func.jacfwd", t_fwd, m_fwd)]
    _table(report, rows)


def _seed004_graph(F, name):
    """The seed's own set-up for each picture: (grad_x, x, out)."""
    if name in ("Square", "Exp"):
        x = dg.tensor(1.0, requires_grad=True, dtype=dg.double).clone()
        out = F[name].apply(x)
        (grad_x,) = dg.autograd.grad(out, x, create_graph=True)
    elif name in ("Sinh", "SinhBad"):
        x = dg.rand(3, 3, requires_grad=True, dtype=dg.double)
        out = F["sinh"](x) if name == "Sinh" else F["SinhBad"].apply(x)
        (grad_x,) = dg.autograd.grad(out.sum(), x, create_graph=True)
    else:
        x = dg.tensor(2.0, requires_grad=True, dtype=dg.double)
        out = F["Cube"].apply(x)
        (grad_x,) = dg.autograd.grad(out, x, create_graph=True)
    return grad_x, x, out


SECOND_DERIVATIVE = {
    "Square": lambda x: 2 + 0 * x,
    "Exp": np.exp,
    "Sinh": np.sinh,
    "Cube": lambda x: 6 * x,
}


def step_double_backward(report: Report, pictures: Pictures) -> None:
    F = seed004_functions(dg)
    x = dg.rand(3, 3, requires_grad=True, dtype=dg.double)
    for name in ("Square", "Exp", "Sinh", "Cube", "SinhBad"):
        fn = F["sinh"] if name == "Sinh" else F[name].apply
        ok1 = dg.autograd.gradcheck(fn, x, raise_exception=False)
        ok2 = dg.autograd.gradgradcheck(fn, x, raise_exception=False)
        report.check(f"{name}: gradcheck", ok1)
        grad_x, x_g, out = _seed004_graph(F, name)
        if name == "SinhBad":
            report.check("SinhBad: gradgradcheck finds its wrong second derivative", not ok2)
            report.check("SinhBad: grad_x is cut off from x (no graph)", not _reaches(grad_x, x_g))
        else:
            report.check(f"{name}: gradgradcheck", ok2)
            report.check(f"{name}: grad_x's graph reaches x", _reaches(grad_x, x_g))
            (d2,) = dg.autograd.grad(grad_x.sum(), x_g, retain_graph=True)  # kept: drawn below
            report.close(f"{name}: second derivative", d2, SECOND_DERIVATIVE[name](_array(x_g)))

        def picture(g=grad_x, xx=x_g, o=out):
            from dualgrad.viz import make_dot

            return make_dot((g, xx, o), params={"grad_x": g, "x": xx, "out": o})

        pictures.save(f"double_backward_{name.lower()}", picture)


def seed004_functions(torch):
    """Seed 004's Functions exactly as the seed writes them, for the library passed as
    ``torch`` (the tests run the same code on dualgrad and on torch)."""

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            # Because we are saving one of the inputs use `save_for_backward`
            # Save non-tensors and non-inputs/non-outputs directly on ctx
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, grad_out):
            # A function support double backward automatically if autograd
            # is able to record the computations performed in backward
            (x,) = ctx.saved_tensors
            return grad_out * 2 * x

    class Exp(torch.autograd.Function):
        # Simple case where everything goes well
        @staticmethod
        def forward(ctx, x):
            # This time we save the output
            result = torch.exp(x)
            # Note that we should use `save_for_backward` here when
            # the tensor saved is an ouptut (or an input).
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_out):
            (result,) = ctx.saved_tensors
            return result * grad_out

    class Sinh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = torch.exp(x)
            expnegx = torch.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            # In order to be able to save the intermediate results, a trick is to
            # include them as our outputs, so that the backward graph is constructed
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            # We cannot skip accumulating these even though we won't use the outputs
            # directly. They will be used later in the second backward.
            grad_input += _grad_out_exp * expx
            grad_input -= _grad_out_negexp * expnegx
            return grad_input

    def sinh(x):
        # Create a wrapper that only returns the first output
        return Sinh.apply(x)[0]

    class SinhBad(torch.autograd.Function):
        # This is an example of what NOT to do!
        @staticmethod
        def forward(ctx, x):
            expx = torch.exp(x)
            expnegx = torch.exp(-x)
            ctx.expx = expx
            ctx.expnegx = expnegx
            return (expx - expnegx) / 2

        @staticmethod
        def backward(ctx, grad_out):
            expx = ctx.expx
            expnegx = ctx.expnegx
            grad_input = grad_out * (expx + expnegx) / 2
            return grad_input

    def cube_forward(x):
        return x**3

    def cube_backward(grad_out, x):
        return grad_out * 3 * x**2

    def cube_backward_backward(grad_out, sav_grad_out, x):
        return grad_out * sav_grad_out * 6 * x

    def cube_backward_backward_grad_out(grad_out, x):
        return grad_out * 3 * x**2

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return cube_forward(x)

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return CubeBackward.apply(grad_out, x)

    class CubeBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, grad_out, x):
            ctx.save_for_backward(x, grad_out)
            return cube_backward(grad_out, x)

        @staticmethod
        def backward(ctx, grad_out):
            x, sav_grad_out = ctx.saved_tensors
            dx = cube_backward_backward(grad_out, sav_grad_out, x)
            dgrad_out = cube_backward_backward_grad_out(grad_out, x)
            return dgrad_out, dx

    return dict(
        Square=Square,
        Exp=Exp,
        Sinh=Sinh,
        sinh=sinh,
        SinhBad=SinhBad,
        Cube=Cube,
        CubeBackward=CubeBackward,
    )


STEPS = (
    ("JVP with dual tensors (seed 001)", step_jvp),
    ("a module with dual parameters (seed 001)", step_modules),
    ("a custom Function with a jvp (seed 001's Fn)", step_function),
    ("Hessian-vector product: forward-over-reverse vs the double-vjp trick", step_hvp),
    ("a full Jacobian: jacrev/jacfwd, forward columns, reverse rows (seed 003)", step_jacobian),
    ("double backward through custom Functions (seed 004)", step_double_backward),
)


# ---------------------------------------------------------------------------- main
def run(out_dir="tour-out", pictures: bool = True, stream=None) -> int:
    """Run every step; return the exit code (0 when every check passed)."""
    report = Report(stream)
    out = Path(out_dir)
    pics = Pictures(out, report, enabled=pictures)
    report.line("dualgrad tour: the seed documents' examples, run end to end and checked")
    if pics.mode == "none":
        report.line(f"note: {pics.why}")
    elif pics.mode == "source":
        report.line(f"note: {pics.why}; writing them to {out}/")
    else:
        report.line(f"pictures: SVG and PNG in {out}/")
    dg.manual_seed(0)
    for i, (title, step) in enumerate(STEPS, 1):
        report.step(i, len(STEPS), title)
        try:
            step(report, pics)
        except Exception as e:  # one broken step must not hide the others' results
            report.check(f"step '{title}' ran to the end", False, f"{type(e).__name__}: {e}")
    total = report.passed + len(report.failed)
    report.line()
    summary = f"summary: {total} checks, {report.passed} PASS, {len(report.failed)} FAIL"
    if pics.written:
        summary += f"; {len(pics.written)} picture files in {out}/"
    report.line(summary)
    for name in report.failed:
        report.line(f"  failed: {name}")
    return 1 if report.failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dualgrad.tour",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", default="tour-out", help="directory for the graph pictures (default: ./tour-out)"
    )
    parser.add_argument("--no-pictures", action="store_true", help="skip the pictures")
    args = parser.parse_args(argv)
    try:
        return run(args.out, pictures=not args.no_pictures)
    except BrokenPipeError:  # `python -m dualgrad.tour | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
