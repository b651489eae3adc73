"""Edges of the autograd engine that must never give a silent wrong answer (issue 12): the
dtypes of gradients, hooks that change a gradient, ``.grad`` assignment, grad_outputs counts,
saved tensors modified in place, derivatives at 0/0 points, ``Function.apply`` with keywords
and gradcheck of a function that returns no tensor. Each case runs in torch and in dualgrad,
and the two must agree: the same values and dtypes, or the same exception type and phrase.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dualgrad as dg
from op_table import F, Row


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [x for item in r for x in _flat(item)]
    return [r]


def _dtype_name(dtype) -> str:
    return str(dtype).rsplit(".", 1)[-1]


def run(lib, fn):
    """``fn(lib)``'s outcome: ("ok", [(dtype name, array)]) or ("raise", exception)."""
    try:
        result = fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return "raise", e
    out = []
    for r in _flat(result):
        if isinstance(r, (torch.Tensor, dg.Tensor)):
            out.append((_dtype_name(r.dtype), np.asarray(r.detach().numpy(), dtype=np.float64)))
        else:
            out.append((type(r).__name__, r))
    return "ok", out


def agree(fn, phrase=None):
    """torch and dualgrad give the same values and dtypes, or both raise the same exception
    type (and dualgrad's message holds ``phrase`` when given, torch's too)."""
    t_kind, t_out = run(torch, fn)
    d_kind, d_out = run(dg, fn)
    assert t_kind == d_kind, f"torch: {t_kind} {t_out!r}; dualgrad: {d_kind} {d_out!r}"
    if t_kind == "raise":
        assert type(d_out) is type(t_out) or isinstance(d_out, type(t_out)), (t_out, d_out)
        if phrase is not None:
            assert phrase in str(t_out), f"torch says: {t_out}"
            assert phrase in str(d_out), f"dualgrad says: {d_out}"
        return t_out
    assert len(t_out) == len(d_out)
    for (t_dt, t_v), (d_dt, d_v) in zip(t_out, d_out):
        assert t_dt == d_dt, (t_out, d_out)
        if isinstance(t_v, np.ndarray):
            np.testing.assert_allclose(d_v, t_v, rtol=1e-5, atol=1e-6, equal_nan=True)
        else:
            assert d_v == t_v
    return t_out


# ---------------------------------------------------------------------------- 1. dtypes
def _f32_leaf(lib):
    return lib.tensor([0.5, -1.25, 2.0], requires_grad=True)


def _f64(lib, values=(1.5, 0.25, -0.75)):
    return lib.tensor(values, dtype=lib.float64)


# An f32 leaf meets an f64 tensor in every promoting binary op, and in ops that refuse mixed
# dtypes after a promoting op upstream (dot, matmul): the leaf's gradient is f32 in every case.
MIXED = {
    "add": lambda lib, x, y: x + y,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y,
    "rdiv": lambda lib, x, y: y / x,
    "pow": lambda lib, x, y: x.abs() ** y,
    "rpow": lambda lib, x, y: y.abs() ** x,
    "atan2": lambda lib, x, y: lib.atan2(x, y),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "where": lambda lib, x, y: lib.where(y > 0, x, y),
    "scalar_f64": lambda lib, x, y: (x * x).sum() + lib.tensor(2.0, dtype=lib.float64),
    "dot_then_f64": lambda lib, x, y: lib.dot(x, x) + lib.tensor(2.0, dtype=lib.float64),
    "matmul_then_f64": lambda lib, x, y: (x.reshape(1, 3) @ x.reshape(3, 1)) * y,
    "to_f64": lambda lib, x, y: x.double() * y,
    "exp_f64": lambda lib, x, y: lib.exp(x) * y,
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_dtype_graph_gives_leaf_dtype_grad(name):
    def grad(lib):
        x = _f32_leaf(lib)
        out = MIXED[name](lib, x, _f64(lib))
        return lib.autograd.grad(out.sum(), x)

    def backward(lib):
        x = _f32_leaf(lib)
        MIXED[name](lib, x, _f64(lib)).sum().backward()
        MIXED[name](lib, x, _f64(lib)).sum().backward()  # accumulation keeps the dtype
        return x.grad

    def double_backward(lib):
        x = _f32_leaf(lib)
        (g,) = lib.autograd.grad(MIXED[name](lib, x, _f64(lib)).sum(), x, create_graph=True)
        return g, lib.autograd.grad((g * g * x).sum(), x)

    for fn in (grad, backward, double_backward):
        out = agree(fn)
        assert [dt for dt, _ in out] == ["float32"] * len(out)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_gradient_argument_is_cast_to_the_output_dtype(dtype):
    def backward(lib):
        x = _f32_leaf(lib)
        (x * 2).backward(lib.ones(3, dtype=getattr(lib, dtype)))
        return x.grad

    def grad(lib):
        x = _f32_leaf(lib)
        return lib.autograd.grad(
            [x * 2, (x * 3).sum()],
            x,
            [lib.ones(3, dtype=getattr(lib, dtype)), lib.tensor(2.0, dtype=lib.float64)],
        )

    assert [dt for dt, _ in agree(backward)] == ["float32"]
    assert [dt for dt, _ in agree(grad)] == ["float32"]


def test_gradient_of_f64_leaf_from_f32_path():
    def fn(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        return lib.autograd.grad((x.float() * lib.tensor([3.0, 4.0])).sum(), x)

    assert [dt for dt, _ in agree(fn)] == ["float64"]


# ---------------------------------------------------------------------------- 2. .grad =
GRAD_VALUES = {
    "wrong_shape": (lambda lib: lib.ones(3), "attempting to assign a gradient of size"),
    "scalar_for_vector": (lambda lib: lib.ones(()), "attempting to assign a gradient of size"),
    "wrong_dtype": (
        lambda lib: lib.ones(2, dtype=lib.float64),
        "attempting to assign a gradient with dtype",
    ),
    "int_dtype": (
        lambda lib: lib.ones(2, dtype=lib.int64),
        "attempting to assign a gradient with dtype",
    ),
    "list": (lambda lib: [1.0, 2.0], "assigned grad expected to be a Tensor or None"),
    "float": (lambda lib: 1.0, "assigned grad expected to be a Tensor or None"),
    "ndarray": (lambda lib: np.ones(2, np.float32), "but got grad of type numpy.ndarray"),
    "right": (lambda lib: lib.full((2,), 3.0), None),
    "none": (lambda lib: None, None),
}


@pytest.mark.parametrize("name", sorted(GRAD_VALUES))
def test_grad_setter(name):
    make, phrase = GRAD_VALUES[name]

    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        x.grad = make(lib)
        return x.grad if x.grad is not None else "none"

    agree(fn, phrase)


def test_grad_setter_refuses_the_tensor_itself():
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        x.grad = x

    agree(fn, "can't assign Variable as its own grad")


# ---------------------------------------------------------------------------- 3. hooks
HOOK_RESULTS = {
    "other_shape": (lambda lib, g: lib.ones(3), "has changed the size of value"),
    "other_dtype": (lambda lib, g: g.double(), "has changed the type of value"),
    "int_dtype": (lambda lib, g: g.long(), "has changed the type of value"),
    "float": (lambda lib, g: 1.0, "expected Variable, but hook returned 'float'"),
    "same": (lambda lib, g: g * 3, None),
    "none": (lambda lib, g: None, None),
}


def _hook_on(kind, lib, x):
    """The tensor a hook goes on: the leaf itself, or a non-leaf made from it."""
    return x if kind == "leaf" else x * 2


@pytest.mark.parametrize("kind", ["leaf", "nonleaf", "retained"])
@pytest.mark.parametrize("name", sorted(HOOK_RESULTS))
def test_tensor_hook_may_not_change_shape_or_dtype(kind, name):
    make, phrase = HOOK_RESULTS[name]

    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = _hook_on(kind, lib, x)
        if kind == "retained":
            y.retain_grad()

        def hook(g):
            return make(lib, g)

        y.register_hook(hook)
        (y * y).sum().backward()
        return x.grad, (y.grad if kind == "retained" else 0.0)

    err = agree(fn, phrase)
    if phrase is not None and "value" in phrase:
        assert "hook 'hook'" in str(err)


# ---------------------------------------------------------------------------- 4. grad_outputs
GRAD_OUTPUTS = {
    "two_outputs_one_grad": lambda lib, x: lib.autograd.grad([x * 2, x * 3], x, [lib.ones(2)]),
    "two_scalars_one_grad": lambda lib, x: lib.autograd.grad(
        [(x * 2).sum(), (x * 3).sum()], x, [lib.ones(())]
    ),
    "backward_two_one": lambda lib, x: lib.autograd.backward([x * 2, x * 3], [lib.ones(2)]),
    "empty_list": lambda lib, x: lib.autograd.grad(x * 2, x, []),
    "none_for_vector": lambda lib, x: lib.autograd.grad(x * 2, x, [None]),
    "no_grad_for_vector": lambda lib, x: (x * 2).backward(),
    "extra_grads_ignored": lambda lib, x: lib.autograd.grad([x * 2], x, [lib.ones(2), lib.ones(2)]),
    "float_grad": lambda lib, x: lib.autograd.grad(x.sum(), x, [1.0]),
}


@pytest.mark.parametrize("name", sorted(GRAD_OUTPUTS))
def test_grad_outputs_count_and_type(name):
    phrases = {
        "two_outputs_one_grad": "got 2 tensors and 1 gradients",
        "two_scalars_one_grad": "got 2 tensors and 1 gradients",
        "backward_two_one": "got 2 tensors and 1 gradients",
        "empty_list": "got 1 tensors and 0 gradients",
        "none_for_vector": "grad can be implicitly created only for scalar outputs",
        "no_grad_for_vector": "grad can be implicitly created only for scalar outputs",
        "float_grad": "gradients can be either Tensors or None, but got float",
    }

    def fn(lib):
        return GRAD_OUTPUTS[name](lib, lib.ones(2, requires_grad=True))

    agree(fn, phrases.get(name))


# ---------------------------------------------------------------------------- 5, 6. saved tensors
def _saved_case(row, where, only=None):
    """``row``'s op on non-leaf copies of its inputs, an in-place write (of the same values)
    into each input or into the output afterwards, then backward: a function of the module.
    ``only``: the one input that requires grad (the others are constants)."""
    from op_table import make_inputs

    sample = row.samples[0]
    arrays = make_inputs(sample, seed=7 * len(row.name))

    def fn(lib):
        fn_of = row.fn if lib is dg or row.torch_fn is None else row.torch_fn
        leaves, xs = [], []
        for i, (spec, a) in enumerate(zip(sample, arrays)):
            if not isinstance(a, np.ndarray):
                xs.append(a)
                continue
            t = lib.tensor(a)
            if only is not None and i != only:
                t = lib.tensor(a.astype(np.float64))
            elif getattr(spec, "diff", False) or isinstance(spec, F):
                t = lib.tensor(a.astype(np.float64), requires_grad=True)
                leaves.append(t)
                t = t.clone()
            xs.append(t)
        outs = fn_of(lib, *xs)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        floats = [o for o in outs if o.is_floating_point() and o.requires_grad]
        if where == "input":
            for x in xs:  # the same values, a new version
                if isinstance(x, (torch.Tensor, dg.Tensor)) and x.dtype != lib.bool:
                    x.mul_(1)
        else:
            floats[0].mul_(1.0)
        sum(o.sum() for o in floats).backward()
        return [t.grad if t.grad is not None else 0.0 for t in leaves]

    return fn


def _saved_rows():
    """The rows of every element-wise primitive, and of the ops whose saving item 6 of issue 12
    names (max/min with dim)."""
    from op_table import ROWS

    from dualgrad._ops.registry import REGISTRY

    kinds = {name for name, op in REGISTRY.items() if op.kind == "elementwise"} | {
        "max_dim",
        "min_dim",
    }
    # (composites such as kron or mvlgamma have rules of their own in torch: not the class)
    rows = [
        row
        for row in ROWS
        if not row.nondiff
        and len(row.covers) == 1
        and row.covers[0] in kinds
        and row.name.startswith(row.covers[0])
    ]
    # the table's relu row keeps its input away from the kink with ops of its own
    return rows + [Row("relu", lambda m, x: m.relu(x), [[F((3, 4))]])]


@pytest.mark.parametrize("where", ["input", "output"])
@pytest.mark.parametrize("row", _saved_rows(), ids=lambda r: r.name)
def test_inplace_after_op_raises_exactly_where_torch_does(row, where):
    agree(_saved_case(row, where), None)


def _binary_cases():
    return [
        pytest.param(row, only, id=f"{row.name}-{only}")
        for row in _saved_rows()
        if len(row.samples[0]) == 2 and all(isinstance(spec, F) for spec in row.samples[0])
        for only in (0, 1)
    ]


@pytest.mark.parametrize("where", ["input", "output"])
@pytest.mark.parametrize("row,only", _binary_cases())
def test_inplace_after_binary_op_with_one_differentiable_input(row, only, where):
    """torch saves the inputs the needed formulas read (hypot's inputs each for its own
    gradient, fmod's nothing for the first input) and a result whichever is needed."""
    agree(_saved_case(row, where, only), None)


# Every op that reads an index tensor in its backward, the index written in place after it.
INDEX_OPS = {
    "getitem": lambda m, x, i: x[i],
    "getitem_tuple": lambda m, x, i: x[i, 0],
    "index_select": lambda m, x, i: m.index_select(x, 0, i),
    "take": lambda m, x, i: m.take(x, i),
    "gather": lambda m, x, i: m.gather(x, 0, i.reshape(2, 1).expand(2, 3)),
    "take_along_dim": lambda m, x, i: m.take_along_dim(x, i.reshape(2, 1), 0),
    "take_along_dim_same_shape": lambda m, x, i: m.take_along_dim(
        x, i.reshape(1, 2).expand(4, 2), 1
    ),
    "take_along_dim_flat": lambda m, x, i: m.take_along_dim(x, i),
    "embedding": lambda m, x, i: m.nn.functional.embedding(i, x),
    "index_put": lambda m, x, i: m.index_put(x, (i,), m.ones(3)),
    "index_put_value": lambda m, x, i: m.index_put(m.zeros(4, 3), (i,), x[:2] * 1),
    "index_put_acc": lambda m, x, i: m.index_put(x, (i,), m.ones(3), accumulate=True),
    "index_add_source": lambda m, x, i: m.index_add(m.zeros(4, 3), 0, i, x[:2] * 1),
    "index_add_self": lambda m, x, i: m.index_add(x, 0, i, m.ones(2, 3)),
    "index_add_dim1": lambda m, x, i: m.index_add(x, 1, i, m.ones(4, 2), alpha=2),
    "index_select_dim1": lambda m, x, i: m.index_select(x, 1, i),
    "index_copy": lambda m, x, i: m.index_copy(x, 0, i, m.ones(2, 3)),
    "index_copy_source": lambda m, x, i: m.index_copy(m.zeros(4, 3), 0, i, x[:2] * 1),
    "index_fill": lambda m, x, i: m.index_fill(x, 0, i, 2.0),
    "index_fill_tensor": lambda m, x, i: m.index_fill(m.zeros(4, 3), 1, i, x[0, 0] * 1),
    "index_put_acc_value": lambda m, x, i: m.index_put(
        m.zeros(4, 3), (i,), x[0] * 1, accumulate=True
    ),
    "index_put_acc_tuple": lambda m, x, i: m.index_put(x, (i, i), m.tensor(1.0), accumulate=True),
    "scatter": lambda m, x, i: m.scatter(x, 0, i.reshape(2, 1).expand(2, 3), m.ones(2, 3)),
    "scatter_src": lambda m, x, i: m.scatter(
        m.zeros(4, 3), 0, i.reshape(2, 1).expand(2, 3), x[:2] * 1
    ),
    "scatter_add_src": lambda m, x, i: m.scatter_add(
        m.zeros(4, 3), 0, i.reshape(2, 1).expand(2, 3), x[:2] * 1
    ),
    "setitem": lambda m, x, i: _setitem(x * 1, i),
}


def _setitem(y, i):
    y[i] = 0.0
    return y


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_written_in_place_after_the_op(name):
    """torch version-checks a saved index and raises; dualgrad raises the same error where
    torch does, and where torch's op keeps an index of its own (take_along_dim along a dim)
    gives the gradient of the index as it was, never one of the new index."""

    def run_op(lib, write):
        x = lib.arange(12.0).reshape(4, 3).requires_grad_()
        i = lib.tensor([0, 1])
        y = INDEX_OPS[name](lib, x * 1, i)
        if write:
            i.add_(2)
        (y * lib.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return x.grad

    kind, out = run(dg, lambda lib: run_op(lib, True))
    t_kind, t_out = run(torch, lambda lib: run_op(lib, True))
    assert kind == t_kind, (t_out, out)
    if kind == "raise":
        assert isinstance(out, RuntimeError) and "modified by an inplace operation" in str(out)
        return
    # the gradient of the original index, as torch computes it with or without the write
    _, expected = run(torch, lambda lib: run_op(lib, False))
    np.testing.assert_allclose(out[0][1], expected[0][1])
    np.testing.assert_allclose(out[0][1], t_out[0][1])


@pytest.mark.parametrize("write", ["condition", "none"])
def test_where_condition_written_in_place(write):
    def fn(lib):
        x = lib.ones(3, requires_grad=True)
        cond = lib.tensor([True, False, True])
        y = lib.where(cond, x * 2, lib.zeros(3))
        if write == "condition":
            cond.logical_not_()
        y.sum().backward()
        return x.grad

    agree(fn, "modified by an inplace operation" if write == "condition" else None)


# ---------------------------------------------------------------------------- 7. rules at 0
@pytest.mark.parametrize(
    "row",
    [r for r in _saved_rows() if all(isinstance(s, F) for s in r.samples[0])],
    ids=lambda r: r.name,
)
def test_first_derivative_at_zero(row):
    """Every element-wise op at an all-zero input: torch's gradient, including its choices
    where the formula is 0/0 (atan2 at the origin gives 0, xlogy's d/dx at x = 0 is log y)."""

    def fn(lib):
        f = row.fn if lib is dg or row.torch_fn is None else row.torch_fn
        xs = [lib.zeros(s.shape, dtype=lib.float64, requires_grad=True) for s in row.samples[0]]
        out = f(lib, *xs)
        out = out[0] if isinstance(out, tuple) else out
        return lib.autograd.grad(out.sum(), xs, allow_unused=True, materialize_grads=True)

    agree(fn)


ZERO_POINTS = {
    "atan2": lambda m, x, y: m.atan2(x, y),
    "xlogy": lambda m, x, y: m.xlogy(x, y),
    "xlog1py": lambda m, x, y: m.special.xlog1py(x, y),
    "hypot": lambda m, x, y: m.hypot(x, y),
    "copysign": lambda m, x, y: m.copysign(x, y),
    "pow": lambda m, x, y: x**y,
    "div": lambda m, x, y: x / y,
    "maximum": lambda m, x, y: m.maximum(x, y),
}


@pytest.mark.parametrize("name", sorted(ZERO_POINTS))
def test_binary_rules_at_zero_and_edges(name):
    """Each pair of (0, -1, 1) values (atan2's origin, xlogy's y <= 0 with x == 0, ...)."""
    vals = [0.0, -1.0, 1.0]
    xv = [a for a in vals for _ in vals]
    yv = [b for _ in vals for b in vals]

    def fn(lib):
        x = lib.tensor(xv, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(yv, dtype=lib.float64, requires_grad=True)
        out = ZERO_POINTS[name](lib, x, y)  # (no sum: inf + -inf would warn)
        return lib.autograd.grad(out, (x, y), lib.ones(9, dtype=lib.float64))

    agree(fn)


# ---------------------------------------------------------------------------- 8. Function.apply
def _functions(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, scale=1.0):
            ctx.scale = scale
            return a * 2 + b * 3 * scale

        @staticmethod
        def backward(ctx, g):
            return g * 2, g * 3 * ctx.scale, None

    class VarKw(lib.autograd.Function):
        @staticmethod
        def forward(ctx, *args, **kw):
            return args[0] * 2 + kw["w"]

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    return Scale, VarKw


APPLY_CALLS = {
    "all_keywords": lambda F, V, x, z: F.apply(b=z, a=x),
    "keyword_tensor_and_scalar": lambda F, V, x, z: F.apply(x, b=z, scale=2.0),
    "positional": lambda F, V, x, z: F.apply(x, z),
    "var_keyword": lambda F, V, x, z: V.apply(x, w=z),
}


@pytest.mark.parametrize("name", sorted(APPLY_CALLS))
def test_function_apply_with_keyword_arguments(name):
    def fn(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor([0.5, -1.0], requires_grad=True)
        y = APPLY_CALLS[name](*_functions(lib), x, z)
        y.sum().backward()
        return y, x.grad, z.grad

    agree(fn, "unexpected keyword argument 'w'" if name == "var_keyword" else None)


# Arguments of a custom Function: tensors that require grad (a leaf, a result of an op), a
# tensor that does not, and non-tensors (numbers, None, a string, a list of tensors).
MIXED_ARGS = {
    "leaf_number_plain_result": lambda lib, a, b, c: (a, 3.0, b, c * 2),
    "none_string_list": lambda lib, a, b, c: (None, a, "s", [b, c], c),
    "plain_only": lambda lib, a, b, c: (b, 2, b),
    "numbers_first": lambda lib, a, b, c: (1, 2.5, a),
    "same_tensor_twice": lambda lib, a, b, c: (a, a, True),
}


@pytest.mark.parametrize("name", sorted(MIXED_ARGS))
def test_function_next_functions_list_tensor_inputs_only(name):
    """torch's node lists one (function, index) per tensor input, (None, 0) for one that needs
    no gradient; non-tensor arguments get no entry."""

    def fn(lib):
        class Pick(lib.autograd.Function):
            @staticmethod
            def forward(ctx, *args):
                ctx.n = len(args)
                return [a for a in args if isinstance(a, lib.Tensor)][0] * 1

            @staticmethod
            def backward(ctx, g):
                return (None,) * ctx.n

        a = lib.ones(2, requires_grad=True)
        b, c = lib.ones(2), lib.ones(2, requires_grad=True)
        node = Pick.apply(*MIXED_ARGS[name](lib, a, b, c)).grad_fn
        if node is None:
            return "no node"
        return [
            (None if f is None else f.name().rsplit(":", 1)[-1], i) for f, i in node.next_functions
        ]

    agree(fn)


# ---------------------------------------------------------------------------- 9. gradcheck
GRADCHECK_FUNCS = {
    "float": lambda lib, x: 1.0,
    "tensor_and_float": lambda lib, x: (x * 2, 3.0),
    "none": lambda lib, x: None,
}


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("name", sorted(GRADCHECK_FUNCS))
def test_gradcheck_of_a_function_returning_a_non_tensor(name, check):
    def fn(lib):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        return getattr(lib.autograd, check)(lambda x: GRADCHECK_FUNCS[name](lib, x), (x,))

    agree(fn, "object has no attribute 'requires_grad'")


# Ops with a Python number operand or parameter, at the numbers where a rule written with
# Python arithmetic would raise or lose a sign (1 / 0, log 0, a cached 0.0 for -0.0): the
# value, the gradient, the gradient's gradient and the tangent must be torch's (inf, nan).
NUMBER_OPERANDS = {
    "div_0": lambda m, x: x / 0,
    "div_0.0": lambda m, x: x / 0.0,
    "div_-0.0": lambda m, x: x / -0.0,
    "div_inf": lambda m, x: x / math.inf,
    "div_nan": lambda m, x: x / math.nan,
    "div_method": lambda m, x: x.div(0),
    "true_divide": lambda m, x: m.true_divide(x, 0.0),
    "div_inplace": lambda m, x: (x * 1).div_(0),
    "div_itruediv": lambda m, x: _itruediv(x * 1, -0.0),
    "rdiv_0": lambda m, x: 0 / x,
    "div_floor_0": lambda m, x: m.div(x, 0, rounding_mode="floor"),
    "div_trunc_-0.0": lambda m, x: m.div(x, -0.0, rounding_mode="trunc"),
    "div_floor_tensor_0": lambda m, x: m.div(x, m.zeros(3, dtype=m.float64), rounding_mode="floor"),
    "div_trunc_number_x": lambda m, x: m.div(1.5, x, rounding_mode="trunc"),
    "rpow_0": lambda m, x: 0**x,
    "rpow_0.0": lambda m, x: m.pow(0.0, x),
    "rpow_negative": lambda m, x: (-2.0) ** x,
    "pow_0": lambda m, x: x**0,
    "pow_-1": lambda m, x: x**-1,
    "pow_0.5": lambda m, x: x**0.5,
    "mul_0": lambda m, x: x * 0.0,
    "mul_inf": lambda m, x: x * math.inf,
    "remainder_0": lambda m, x: x % 0.0,
    "fmod_0": lambda m, x: m.fmod(x, 0.0),
    "clamp_0_0": lambda m, x: m.clamp(x, 0.0, 0.0),
    "xlogy_0": lambda m, x: m.xlogy(x, 0.0),
    "copysign_-0.0": lambda m, x: m.copysign(x, -0.0),
    "addcdiv_0": lambda m, x: m.addcdiv(x, x, m.zeros(3, dtype=m.float64), value=0.0),
    "logit_eps_0": lambda m, x: m.logit(x, eps=0.0),
    "logit_eps": lambda m, x: m.logit(x, eps=0.25),
    "leaky_relu_0": lambda m, x: m.nn.functional.leaky_relu(x, 0.0),
    "elu_0": lambda m, x: m.nn.functional.elu(x, alpha=0.0),
    "hardtanh_0_0": lambda m, x: m.nn.functional.hardtanh(x, 0.0, 0.0),
    "threshold_0": lambda m, x: m.nn.functional.threshold(x, 0.0, 0.0),
    "normalize_eps_0": lambda m, x: m.nn.functional.normalize(x * 0, dim=0, eps=0.0),
}


def _itruediv(y, c):
    y /= c
    return y


def _number_operand_outcome(lib, name, mode):
    x = lib.tensor([1.0, -2.0, 0.0, 0.5], dtype=lib.float64)[:3].clone().requires_grad_()
    f = NUMBER_OPERANDS[name]
    if mode == "value":
        return f(lib, x)
    if mode == "forward":
        fa = lib.autograd.forward_ad
        with fa.dual_level():
            dual = fa.make_dual(x.detach(), lib.tensor([1.0, -1.0, 1.0], dtype=lib.float64))
            return fa.unpack_dual(f(lib, dual)).tangent
    (g,) = lib.autograd.grad(f(lib, x), x, lib.ones(3, dtype=lib.float64), create_graph=True)
    if mode == "backward":
        return g
    if not g.requires_grad:  # a gradient that is constant in x (dualgrad records no graph
        return lib.zeros_like(g)  # for it where torch's piecewise-linear rules do)
    return lib.autograd.grad(
        g, x, lib.ones(3, dtype=lib.float64), allow_unused=True, materialize_grads=True
    )


# torch's double backward gives nan where its formula multiplies a masked 0 by inf (its
# where() branches); dualgrad's rules agree except for these, whose 0 is exact
_SECOND_ORDER_DIFFERS = {"rpow_0", "rpow_0.0", "copysign_-0.0", "logit_eps_0", "logit_eps"}


@pytest.mark.parametrize("mode", ["value", "backward", "double_backward", "forward"])
@pytest.mark.parametrize("name", sorted(NUMBER_OPERANDS))
def test_number_operand_edges(name, mode):
    if mode == "double_backward" and name in _SECOND_ORDER_DIFFERS:
        mode = "backward"  # (still compared, first order)
    with np.errstate(all="ignore"):
        agree(lambda lib: _number_operand_outcome(lib, name, mode))


# ---------------------------------------------------------------------------- spurious refusals
# (issue 12, random programs, helper G) Every in-place method with a tensor operand, on a self
# that needs no gradient (float32 or float64) and an operand that does: torch saves a clone of
# self for the operand's gradient, so backward runs.
INPLACE_WITH_OPERAND = {
    "add_": lambda x, y: x.add_(y, alpha=0.5),
    "sub_": lambda x, y: x.sub_(y),
    "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y.abs() + 0.5),
    "true_divide_": lambda x, y: x.true_divide_(y.abs() + 0.5),
    "pow_": lambda x, y: x.abs().add_(0.5).pow_(y),
    "atan2_": lambda x, y: x.atan2_(y),
    "hypot_": lambda x, y: x.hypot_(y),
    "copysign_": lambda x, y: x.copysign_(y),
    "xlogy_": lambda x, y: x.xlogy_(y.abs() + 0.5),
    "fmod_": lambda x, y: x.fmod_(y.abs() + 0.5),
    "remainder_": lambda x, y: x.remainder_(y.abs() + 0.5),
    "clamp_": lambda x, y: x.clamp_(y - 0.3, y + 0.3),
    "lerp_": lambda x, y: x.lerp_(y, 0.3),
    "lerp_weight_": lambda x, y: x.lerp_(y * 2, y),
    "addcmul_": lambda x, y: x.addcmul_(y, y.cos(), value=0.5),
    "addcdiv_": lambda x, y: x.addcdiv_(y, y.abs() + 0.5),
    "copy_": lambda x, y: x.copy_(y),
    "masked_fill_": lambda x, y: x.masked_fill_(x > 0, y.sum()),
}


@pytest.mark.parametrize("self_dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(INPLACE_WITH_OPERAND))
def test_inplace_into_untracked_self_with_tracked_operand(name, self_dtype):
    def fn(lib):
        y = lib.tensor([[0.5], [-1.5], [2.0]], dtype=lib.float64, requires_grad=True)
        x = lib.tensor([[1.0], [2.0], [-5.0]], dtype=getattr(lib, self_dtype))
        out = INPLACE_WITH_OPERAND[name](x, y)
        return x, lib.autograd.grad((out * out).sum(), y)

    agree(fn)


# Every multi-output op whose outputs are floats, one output written in place before backward:
# torch checks the outputs its formula saves (slogdet saves the sign, not logabsdet).
MULTI_OUTPUT = {
    "slogdet": lambda m, a: m.linalg.slogdet(a),
    "qr": lambda m, a: m.linalg.qr(a),
    "eigh": lambda m, a: m.linalg.eigh(a),
    "svd": lambda m, a: m.linalg.svd(a, full_matrices=False),
    "max_dim": lambda m, a: m.max(a, 1),
    "sort": lambda m, a: m.sort(a, 1),
    "topk": lambda m, a: m.topk(a, 2),
    "cummax": lambda m, a: m.cummax(a, 1),
}


@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(MULTI_OUTPUT))
def test_multi_output_written_in_place_raises_exactly_where_torch_does(name, k):
    spd = np.array([[2.0, 1.0, 0.3], [1.0, 3.0, 0.2], [0.3, 0.2, 1.5]])
    n_out = len(MULTI_OUTPUT[name](torch, torch.tensor(spd)))
    if k >= n_out or not MULTI_OUTPUT[name](torch, torch.tensor(spd))[k].is_floating_point():
        k = 0  # (the case of output 0 again: the parametrization is shared)

    def fn(lib):
        a = lib.tensor(spd, requires_grad=True)
        outs = MULTI_OUTPUT[name](lib, a * 1)
        outs[k].mul_(2)
        return lib.autograd.grad(sum(o.sum() for o in outs if o.is_floating_point()), a)

    agree(fn)


# A constant (off a vmap level's tape) that was written in place before an op saved it, under
# vmap(grad): the node must check its version against the one it saved (it did against 0).
@pytest.mark.parametrize("row,only", _binary_cases())
@pytest.mark.parametrize("write", ["before", "after"])
def test_constant_written_in_place_under_vmap_grad(row, only, write):
    from op_table import make_inputs

    arrays = make_inputs(row.samples[0], seed=3)

    def fn(lib):
        f = row.fn if lib is dg or row.torch_fn is None else row.torch_fn

        def g(x):
            c = lib.tensor(arrays[1 - only]).clone()
            if write == "before":
                c.mul_(1)
            out = f(lib, *((x, c) if only == 0 else (c, x)))
            if write == "after":
                c.mul_(1)
            return out.sum()

        return lib.func.vmap(lib.func.grad(g))(lib.tensor(np.stack([arrays[only]] * 2)))

    agree(fn)


# Ops torch does not promote (NOTE: [same-dtype operands] in _dtype.py): a float32 ``a`` meets
# float64 (or int64) operands; each raises torch's error, or runs where torch runs.
def _ix(lib, *v):
    return lib.tensor(list(v))


SAME_DTYPE = {
    "lerp_end": lambda m, a, b: m.lerp(a, b, 0.3),
    "lerp_weight": lambda m, a, b: m.lerp(a, a, b),
    "lerp_weight_0d": lambda m, a, b: m.lerp(a, a, b.sum()),
    "lerp_end_0d": lambda m, a, b: m.lerp(a, b.sum(), 0.5),
    "lerp_method_": lambda m, a, b: a.clone().lerp_(b, 0.3),
    "lerp_start_f64": lambda m, a, b: m.lerp(b, a, 0.3),
    "isclose": lambda m, a, b: m.isclose(a, b),
    "isclose_int": lambda m, a, b: m.isclose(a, b.long()),
    "allclose": lambda m, a, b: m.tensor(m.allclose(a, b)),
    "prelu": lambda m, a, b: m.nn.functional.prelu(a, b[:1]),
    "layer_norm": lambda m, a, b: m.nn.functional.layer_norm(a, (3,), b, b),
    "layer_norm_f64_input": lambda m, a, b: m.nn.functional.layer_norm(b, (3,), a, a),
    "group_norm": lambda m, a, b: m.nn.functional.group_norm(
        a.reshape(1, 3, 1).expand(2, 3, 1), 3, b, b
    ),
    "batch_norm": lambda m, a, b: m.nn.functional.batch_norm(a[None], b, b.abs(), b, b),
    "batch_norm_stats": lambda m, a, b: m.nn.functional.batch_norm(a[None], b, b.abs(), a, a),
    "batch_norm_f64_input": lambda m, a, b: m.nn.functional.batch_norm(b[None], a, a.abs(), a, a),
    "instance_norm": lambda m, a, b: m.nn.functional.instance_norm(
        a.reshape(1, 3, 1).expand(1, 3, 2), weight=b, bias=b
    ),
    "index_add": lambda m, a, b: a.index_add(0, _ix(m, 0, 1, 2), b),
    "index_copy": lambda m, a, b: a.index_copy(0, _ix(m, 0, 1, 2), b),
    "index_fill_0d": lambda m, a, b: a.index_fill(0, _ix(m, 0), b.sum()),
    "index_put": lambda m, a, b: a.index_put((_ix(m, 0),), b[:1]),
    "index_put_": lambda m, a, b: a.clone().index_put_((_ix(m, 0),), b[:1]),
    "index_put_0d": lambda m, a, b: a.index_put((_ix(m, 0),), b.sum()),
    "index_put_int": lambda m, a, b: a.index_put((_ix(m, 0),), b[:1].long()),
    "setitem_list": lambda m, a, b: a.clone().__setitem__([0, 1], b[:2]),
    "setitem_tensor_0d_value": lambda m, a, b: a.clone().__setitem__(_ix(m, 0, 1), b.sum()),
    "setitem_mask": lambda m, a, b: a.clone().__setitem__(a > 0, b[:2]),
    "setitem_mask_0d": lambda m, a, b: _set(a.clone(), a > 0, b.sum()),
    "setitem_int_tensor_0d": lambda m, a, b: _set(a.clone(), m.tensor(0), b[0]),
    "setitem_int": lambda m, a, b: _set(a.clone(), 0, b[0]),
    "setitem_slice": lambda m, a, b: _set(a.clone(), slice(0, 2), b[:2]),
    "setitem_mixed": lambda m, a, b: a.reshape(1, 3).clone().__setitem__((0, [0, 1]), b[:2]),
    "scatter": lambda m, a, b: a.scatter(0, _ix(m, 0), b),
    "masked_scatter": lambda m, a, b: a.masked_scatter(a > 0, b),
    "masked_fill_0d": lambda m, a, b: a.masked_fill(a > 0, b.sum()),
    "huber_loss": lambda m, a, b: m.nn.functional.huber_loss(a, b),
    "huber_loss_f64_input": lambda m, a, b: m.nn.functional.huber_loss(b, a),
    "soft_margin_loss": lambda m, a, b: m.nn.functional.soft_margin_loss(a, b.sign()),
}


def _set(x, i, v):
    x[i] = v
    return x


@pytest.mark.parametrize("name", sorted(SAME_DTYPE))
def test_ops_that_do_not_promote(name):
    def fn(lib):
        a = lib.tensor([0.3, -0.5, 0.8])
        return SAME_DTYPE[name](lib, a, a.double() + 0.25)

    err = agree(fn)
    if isinstance(err, Exception):  # the same words as torch's, up to the first "(" or ";"
        t_words = str(err).split(" (")[0].split(";")[0]
        _, d_err = run(dg, fn)
        assert str(d_err).startswith(t_words), (str(err), str(d_err))


# ---------------------------------------------------------------------------- singular matrices
# NOTE: [determinants at singular matrices] in linalg_decomp.py. Rank n-1 (the cofactors are
# not 0), rank n-2 and 0 (they are), a stack with one singular matrix, a nearly singular one.
SINGULAR = {
    "rank1_2x2": [[1.0, 2.0], [2.0, 4.0]],
    "rank2_3x3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]],
    "rank1_3x3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]],
    "zero_3x3": [[0.0] * 3] * 3,
    "stack": [[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.5], [-1.0, 3.0]]],
    "outer_difference": (np.array([[0.3, -1.2, 0.7]]) - np.array([[0.1], [0.9], [-0.4]])).tolist(),
}
DET_MODES = {
    "vjp": lambda m, a: m.func.grad(lambda x: m.linalg.det(x).sum())(a),
    "vmap_grad": lambda m, a: m.func.vmap(m.func.grad(lambda x: m.linalg.det(x).sum()))(
        m.stack([a, a * 0.5])
    ),
    "jacrev": lambda m, a: m.func.jacrev(m.linalg.det)(a),
}


@pytest.mark.parametrize("mode", sorted(DET_MODES))
@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_det_derivatives_at_singular_matrices(name, mode):
    """torch's vjp of det at singular matrices is right (its SVD path): dualgrad's agrees."""
    agree(lambda lib: DET_MODES[mode](lib, lib.tensor(SINGULAR[name], dtype=lib.float64)))


def _adjugate_fd(a, eps=1e-6):
    """d det / dA by central differences in float64 (det is a polynomial: no singularity)."""
    g = np.zeros_like(a)
    for idx in np.ndindex(*a.shape):
        e = np.zeros_like(a)
        e[idx] = eps
        g[idx] = (np.linalg.det(a + e).sum() - np.linalg.det(a - e).sum()) / (2 * eps)
    return g


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_det_jvp_and_hvp_at_singular_matrices(name):
    """The jvp is tr(C^T dA) with the cofactors C: not 0 at rank n-1, where torch's jvp
    (its LU solve times det(A) = 0) gives 0 (a difference from torch); the Hessian-vector
    product is finite differences of the gradient."""
    a = np.array(SINGULAR[name])
    t = np.random.default_rng(1).standard_normal(a.shape)
    _, tangent = dg.func.jvp(dg.linalg.det, (dg.tensor(a),), (dg.tensor(t),))
    cof = torch.func.grad(lambda x: torch.linalg.det(x).sum())(torch.tensor(a)).numpy()
    np.testing.assert_allclose(tangent.numpy(), (cof * t).sum((-2, -1)), atol=1e-10)
    if name == "zero_3x3":  # repeated singular values: the SVD's rules give nan (torch's too)
        return
    grad = dg.func.grad(lambda x: dg.linalg.det(x).sum())
    _, hvp = dg.func.jvp(grad, (dg.tensor(a),), (dg.tensor(t),))
    fd = (_adjugate_fd(a + 1e-4 * t) - _adjugate_fd(a - 1e-4 * t)) / 2e-4
    np.testing.assert_allclose(hvp.numpy(), fd, atol=1e-5)


# A NumPy LinAlgError never escapes: torch's LinAlgError (a RuntimeError) where torch raises,
# torch's values (inf, nan) where it computes.
LINALG_AT_SINGULAR = {
    "inv": lambda m, a: m.linalg.inv(a),
    "inverse": lambda m, a: m.inverse(a),
    "solve": lambda m, a: m.linalg.solve(a, m.ones(3, dtype=a.dtype)),
    "cholesky": lambda m, a: m.linalg.cholesky(a),
    "matrix_power_-1": lambda m, a: m.linalg.matrix_power(a, -1),
    "solve_triangular_upper": lambda m, a: m.linalg.solve_triangular(
        a.triu(), m.ones(3, 2, dtype=a.dtype), upper=True
    ),
    "solve_triangular_lower_right": lambda m, a: m.linalg.solve_triangular(
        a.mT.tril(), m.ones(2, 3, dtype=a.dtype), upper=False, left=False
    ),
    "det": lambda m, a: m.linalg.det(a),
    "logdet_grad_zero": lambda m, a: m.autograd.grad(m.logdet(a * 0), a),
    "det_grad_nan": lambda m, a: m.autograd.grad(m.linalg.det(a * float("nan")), a),
}


@pytest.mark.parametrize("name", sorted(LINALG_AT_SINGULAR))
def test_linalg_at_singular_matrices(name):
    def fn(lib):
        a = lib.tensor(
            [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, 0.5, 0.0]],
            dtype=lib.float64,
            requires_grad=True,
        )
        return LINALG_AT_SINGULAR[name](lib, a)

    t_kind, t_out = run(torch, fn)
    d_kind, d_out = run(dg, fn)
    assert t_kind == d_kind, (t_out, d_out)
    if t_kind == "raise":  # torch.linalg.LinAlgError is a RuntimeError; so is dualgrad's
        assert isinstance(t_out, RuntimeError) and type(t_out).__name__ == "_LinAlgError"
        assert isinstance(d_out, dg.linalg.LinAlgError) and isinstance(d_out, RuntimeError), d_out
        assert "singular" in str(d_out) or "positive-definite" in str(d_out), d_out
        assert str(t_out).split(":")[0] in str(d_out), (str(t_out), str(d_out))
        return
    for (t_dt, t_v), (d_dt, d_v) in zip(t_out, d_out):
        assert t_dt == d_dt
        # (the sign of an infinity at an exactly singular matrix is the sign of a rounded 0)
        np.testing.assert_allclose(np.abs(d_v), np.abs(t_v), rtol=1e-6, atol=1e-8, equal_nan=True)


def test_logabsdet_gradient_at_a_singular_matrix_is_not_finite():
    """C / det(A): inf where a cofactor is not 0. (torch's plain backward gives a mix of inf
    and LU round-off there, and under torch.func.grad raises LinAlgError; both say "not
    finite".)"""
    a = dg.tensor(SINGULAR["rank2_3x3"], requires_grad=True)
    (g,) = dg.autograd.grad(dg.linalg.slogdet(a)[1], a)
    assert np.isinf(g.numpy()[:2]).all()
    t = torch.tensor(SINGULAR["rank2_3x3"], requires_grad=True)
    assert not torch.isfinite(torch.autograd.grad(torch.linalg.slogdet(t)[1], t)[0]).all()


# ---------------------------------------------------------------------------- nan cotangents
# NOTE: [selecting partials] in _ops/elementwise.py. A nan or inf cotangent (from hypot at 0, say)
# passes through a rule as torch's does: where torch selects (relu, clamp, floor's zeros, the
# winner of maximum, max()'s evenly shared gradient, matrix_power(A, 0)), it stays out of
# the elements not selected; where torch multiplies (x * 0, amax), it gives nan.
NAN_COTANGENT = {
    "relu": lambda m, x: m.relu(x),
    "clamp": lambda m, x: m.clamp(x, 0.5, 0.6),
    "clamp_min": lambda m, x: x.clamp_min(0.5),
    "maximum": lambda m, x: m.maximum(x, m.zeros_like(x) + 0.5),
    "minimum_tie": lambda m, x: m.minimum(x, x.detach()),
    "max": lambda m, x: x.max(),
    "amax": lambda m, x: x.amax(),
    "min": lambda m, x: x.min(),
    "frac": lambda m, x: m.frac(x),
    "copysign": lambda m, x: m.copysign(x, -x),
    "mul_zero": lambda m, x: x * 0,
    "leaky_relu_zero_slope": lambda m, x: m.nn.functional.leaky_relu(x, 0.0),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x, -0.1, 0.1),
    "matrix_power_0": lambda m, x: m.linalg.matrix_power(x.reshape(2, 2), 0),
    "where": lambda m, x: m.where(x > 0, x, 0.0),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 1.0),
}


def _nan_inf_grad(lib, f, arrays):
    xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    out = f(lib, *xs)
    out = out[0] if isinstance(out, tuple) else out
    g = np.where(np.arange(out.numel()) % 2 == 0, np.nan, np.inf).reshape(tuple(out.shape))
    return lib.autograd.grad(
        out, xs, lib.tensor(g, dtype=out.dtype), allow_unused=True, materialize_grads=True
    )


@pytest.mark.parametrize("name", sorted(NAN_COTANGENT))
def test_nan_and_inf_cotangents(name):
    agree(lambda lib: _nan_inf_grad(lib, NAN_COTANGENT[name], [np.array([0.3, -0.2, 0.7, 0.55])]))


@pytest.mark.parametrize(
    "row",
    [r for r in _saved_rows() if all(isinstance(s, F) for s in r.samples[0])],
    ids=lambda r: r.name,
)
def test_nan_and_inf_cotangents_through_every_elementwise_op(row):
    from op_table import make_inputs

    arrays = make_inputs(row.samples[0], seed=11)
    agree(
        lambda lib: _nan_inf_grad(
            lib, row.fn if lib is dg or row.torch_fn is None else row.torch_fn, arrays
        )
    )


def test_hypot_at_zero_after_matrix_power_0():
    """Seed 909 of the random programs: hypot's nan gradient at 0 meets matrix_power(A, 0)."""

    def fn(lib):
        a = lib.tensor([[0.6, -0.6], [0.4, -0.4]], dtype=lib.float64, requires_grad=True)
        v = lib.linalg.matrix_power(a, 0).index_add(
            0, lib.tensor([1]), lib.tensor([[0.8, -0.4]], dtype=lib.float64)
        )
        return lib.autograd.grad(lib.hypot(v, v).sum(), a)

    agree(fn)


def test_eigvalsh_of_matrix_power_0_second_order():
    """Seed 1321: eigh's rule at the identity (repeated eigenvalues) gives nan, which
    matrix_power(A, 0) must not pass on to A (its gradient is an exact 0, as torch's)."""

    def fn(lib):
        a = lib.tensor([[0.6, -0.6], [0.4, 1.4]], dtype=lib.float64, requires_grad=True)
        e = lib.linalg.eigvalsh(lib.linalg.matrix_power(a, 0))
        (g,) = lib.autograd.grad(
            (e * lib.tensor([0.3, 0.9], dtype=lib.float64)).sum() + (a * a).sum(),
            a,
            create_graph=True,
        )
        return lib.autograd.grad(
            (g * lib.tensor([[1.0, -2.0], [0.5, 0.25]], dtype=lib.float64)).sum(), a
        )

    agree(fn)


# NOTE: [in-place ops] in _inplace.py: an in-place op whose node saves its result (exp_,
# sigmoid_, ...) saved the written tensor itself, as torch's does: a later write into it, or
# into its base through a view, makes backward refuse; where the node saves nothing, it runs.
UNARY_INPLACE = (
    "neg abs exp sigmoid tanh relu floor ceil round trunc sin cos sqrt log reciprocal "
    "square expm1 log1p rsqrt sign frac"
).split()
LATER_WRITES = {
    "mul_": lambda y, v: y.mul_(2.0),
    "second_same_op": None,
    "through_view": lambda y, v: y[1:].add_(1.0),
    "write_was_through_view": "view",
    "read_only": lambda y, v: y * 2,
}


@pytest.mark.parametrize("later", sorted(LATER_WRITES))
@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_inplace_result_written_again(name, later):
    def fn(lib):
        a = lib.tensor([0.3, 0.45, 0.8, 1.3], dtype=lib.float64, requires_grad=True)
        y = a * 1
        write = LATER_WRITES[later]
        if write == "view":
            getattr(y[1:], name + "_")()
            y.mul_(2.0)
        else:
            getattr(y, name + "_")()
            if write is None:
                getattr(y, name + "_")()
            else:
                write(y, None)
        return lib.autograd.grad(
            (y * lib.tensor([1.0, -2.0, 0.5, 3.0], dtype=lib.float64)).sum(), a
        )

    agree(fn)


@pytest.mark.parametrize("later", ["mul_", "through_view", "second_same_op", "read_only"])
@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "relu", "sqrt", "sin"])
def test_inplace_result_written_again_under_vmap_grad(name, later):
    """The same inside vmap(grad(f)): the write happens on the transform's tape."""

    def fn(lib):
        def f(a):
            y = a * 1
            getattr(y, name + "_")()
            write = LATER_WRITES[later]
            if write is None:
                getattr(y, name + "_")()
            else:
                write(y, None)
            return (y * lib.tensor([1.0, -2.0, 0.5, 3.0], dtype=lib.float64)).sum()

        x = lib.tensor([[0.3, 0.45, 0.8, 1.3], [0.2, 0.6, 0.9, 1.1]], dtype=lib.float64)
        return lib.func.vmap(lib.func.grad(f))(x)

    agree(fn)


# NOTE: [saved reads] of multilinear ops: the rule of input i reads the other inputs only
MULTILINEAR_WRITES = [
    ("einsum_sum_last", lambda m, a: m.einsum("...i->...", a), [(2, 3)], [True], 0),
    ("einsum_sum_all", lambda m, a: m.einsum("ij->", a), [(2, 3)], [True], 0),
    ("einsum_diagonal", lambda m, a: m.einsum("ii->i", a), [(3, 3)], [True], 0),
    (
        "einsum_pair_write_a",
        lambda m, a, b: m.einsum("ij,jk->ik", a, b),
        [(2, 3), (3, 2)],
        [True, True],
        0,
    ),
    (
        "einsum_pair_write_b",
        lambda m, a, b: m.einsum("ij,jk->ik", a, b),
        [(2, 3), (3, 2)],
        [True, True],
        1,
    ),
    ("matmul_only_a_needs", lambda m, a, b: a @ b, [(2, 3), (3, 2)], [True, False], 0),
    ("matmul_only_b_needs", lambda m, a, b: a @ b, [(2, 3), (3, 2)], [False, True], 0),
    (
        "linear_write_input",
        lambda m, a, w: m.nn.functional.linear(a, w),
        [(2, 3), (4, 3)],
        [False, True],
        1,
    ),
    ("cross_write_a", lambda m, a, b: m.linalg.cross(a, b), [(2, 3), (2, 3)], [False, True], 1),
]


@pytest.mark.parametrize(
    "name, fn, shapes, grads, written", MULTILINEAR_WRITES, ids=[c[0] for c in MULTILINEAR_WRITES]
)
def test_multilinear_ops_check_only_the_inputs_their_rules_read(name, fn, shapes, grads, written):
    """Writing an input in place after a multilinear op breaks backward exactly where torch's
    breaks: when a needed rule reads it (mm, bmm, einsum read only the other operands)."""
    outcomes = []
    for m in (dg, torch):
        leaves = [
            m.tensor(np.linspace(0.5, 1.5, int(np.prod(s))).reshape(s), requires_grad=g)
            for s, g in zip(shapes, grads)
        ]
        xs = [x * 1.5 if x.requires_grad else x.clone() for x in leaves]
        y = fn(m, *xs)
        xs[written].add_(1.0)
        try:
            gs = m.autograd.grad(y.sum(), [x for x in leaves if x.requires_grad])
            outcomes.append([g.numpy().copy() for g in gs])
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e)
            outcomes.append("raise")
    got, want = outcomes
    if want == "raise":
        assert got == "raise"
    else:
        assert got != "raise", "dualgrad raised where torch computes"
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b)


def test_a_second_backward_accumulates_into_the_same_grad_tensor_as_torch():
    """torch adds into .grad in place (``variable_grad += new_grad``) when no graph is made, so
    a reference held to .grad (by an optimizer, a hook, a user) sees the sum; dualgrad replaced
    .grad with a new tensor, and such a reference kept the first gradient."""
    for create_graph in (False, True):
        seen = []
        for m in (torch, dg):
            x = m.tensor([1.0, 2.0], requires_grad=True)
            (x * x).sum().backward(create_graph=create_graph)
            held = x.grad
            (x * 3).sum().backward()
            seen.append((held is x.grad, held.detach().tolist(), x.grad.detach().tolist()))
        assert seen[0] == seen[1], (create_graph, seen)
