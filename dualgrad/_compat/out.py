"""``out=`` for the public functions torch gives one: the result written into the given tensor
(resized as torch resizes it), that same tensor returned, and torch's errors when autograd would
have recorded or the dtypes do not fit. One wrapper over the ordinary function, from a table."""

from __future__ import annotations

import functools
import inspect
import warnings

from .. import _dtype
from .._grad_mode import is_grad_enabled, no_grad
from .._tensor import Tensor

# NOTE: [out= by table] torch checks an out tensor's dtype in one of a few ways, per op; the
# table says which, so one wrapper serves every op. A row is (mode, message):
#   "factory": the out tensor's dtype is the result's (zeros(2, out=long_tensor) is long), and
#              a factory resizes out silently;
#   "dtype":   the op runs in out's dtype (sum, prod, cumsum take it as their ``dtype=``);
#   "any":     the result is cast into out whatever its dtype (eq, lt, ...);
#   "cast":    the result is cast into out if torch's can_cast allows (exp, add, mean, ...);
#   "exact":   out must have exactly the result's dtype (matmul, gather, argmax, ...).
# The message, for a dtype out cannot take, is torch's wording for that op, with {want}/{got} as
# ScalarType names ("Float") and {want_e}/{got_e} as element type names ("float").
_EXACT = "Expected out tensor to have dtype {want_e}, but got {got_e} instead"
_CAST = "result type {want} can't be cast to the desired output type {got}"
_CAT = "torch.cat(): input types can't be cast to the desired output type {got}"
_FACTORIES = (
    "zeros", "ones", "empty", "full", "eye", "linspace", "logspace", "rand", "randn", "randint",
    "randperm",
)  # fmt: skip
_CASTS = (
    "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "square", "pow", "mul", "add",
    "sub", "div", "mean", "max", "min", "maximum", "minimum", "neg", "exp2", "expm1", "log2",
    "log10", "log1p", "rsqrt", "reciprocal", "floor", "ceil", "round", "trunc", "sign", "atan2",
    "fmod", "remainder", "normal", "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh",
    "cosh", "sinh", "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh",
    "fix", "negative", "sgn",
)  # fmt: skip
OUT_POLICY = {
    **dict.fromkeys(_FACTORIES, ("factory", None)),
    "arange": ("factory", None),
    **dict.fromkeys(("sum", "nansum", "prod", "cumsum", "cumprod"), ("dtype", None)),
    **dict.fromkeys(("eq", "ne", "lt", "le", "gt", "ge"), ("any", None)),
    **dict.fromkeys(("logical_and", "logical_or", "logical_xor", "logical_not"), ("any", None)),
    **dict.fromkeys(_CASTS, ("cast", _CAST)),
    "normalize": ("cast", _CAST),  # nn.functional's
    "cat": ("cast", _CAT),
    "stack": ("cast", _CAT),
    "diag": ("cast", "diag: result type {want} can't be cast to the desired out= type {got}"),
    "logsumexp": (
        "cast",
        "logsumexp(): Expected floating point type for result tensor, but got: {got}",
    ),
    **dict.fromkeys(
        ("matmul", "mm", "bmm", "norm", "gather", "tril", "triu", "argmax", "argmin", "topk"),
        ("exact", _EXACT),
    ),
    "sort": ("exact", _EXACT),
    "abs": ("exact", "Found dtype {got} but expected {want}"),
    "clamp": ("exact", "Found dtype {got} but expected {want}"),
    "where": ("exact", "Expected out type to be {want} but got {got}"),
    "dot": ("exact", "result dtype {got} does not match input dtype {want}"),
    "all": ("exact", "all only supports bool tensor for result, got: {got}"),
    "any": ("exact", "any only supports bool tensor for result, got: {got}"),
    "multinomial": ("exact", "multinomial expects Long tensor out, got: {got}"),
}
# the messages torch raises as TypeError rather than RuntimeError
_TYPE_ERRORS = {"cat", "stack"}
# torch's result dtype for these is fixed whatever the inputs are
_FIXED_RESULT = {"all": "bool", "any": "bool", "multinomial": "int64"}
# ops that resize out silently, or with their own warning ({old}: out's shape, {n}: its numel,
# {new_n}: the result's numel, {new}: the result's shape as a tuple)
_RESIZE_WARNING = {
    **dict.fromkeys((*_FACTORIES, "multinomial"), None),
    "arange": (
        "The number of elements in the out tensor of shape {old} is {n} which does not match the "
        "computed number of elements {new_n}. Note that this may occur as a result of rounding "
        "error. The out tensor will be resized to a tensor of shape {new}."
    ),
}

_NO_AUTOGRAD = (
    "{name}(): functions with out=... arguments don't support automatic differentiation, "
    "but one of the arguments requires grad."
)
_RESIZED = (
    "An output with one or more elements was resized since it had shape {old}, which does not "
    "match the required output shape {new}. This behavior is deprecated, and in a future PyTorch "
    "release outputs will not be resized unless they have zero elements. You can explicitly "
    "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0)."
)


def _tensors(args):
    for a in args:
        if isinstance(a, Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _tensors(a)


def with_out(fn, policy):
    """``fn`` taking torch's ``out=`` keyword (NOTE: [out= by table], [out= wrapper cost])."""
    name = fn.__name__
    mode, message = policy

    def write(args, kwargs, out):
        outs = out if isinstance(out, (tuple, list)) else (out,)
        if is_grad_enabled() and any(
            t.requires_grad for t in (*_tensors(args), *_tensors(kwargs.values()), *outs)
        ):
            raise RuntimeError(_NO_AUTOGRAD.format(name=name))
        requires_grad = kwargs.pop("requires_grad", False) if mode == "factory" else False
        if mode == "dtype" and kwargs.get("dtype") not in (None, outs[0].dtype):
            want, got = kwargs["dtype"].name, outs[0].dtype.name  # torch's check, before the op
            raise RuntimeError(
                _EXACT.format(
                    want_e=_dtype.TORCH_ELEMENT_NAMES.get(want, want),
                    got_e=_dtype.TORCH_ELEMENT_NAMES.get(got, got),
                )
            )
        if mode in ("factory", "dtype"):
            kwargs["dtype"] = kwargs.get("dtype") or outs[0].dtype
        with no_grad():
            result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            written = [_write(name, mode, message, r, o) for r, o in zip(result, outs)]
            # the result's tuple type (values/indices names), holding the out tensors
            return type(result)(written)
        result = _write(name, mode, message, result, out)
        return result.requires_grad_() if requires_grad else result

    return functools.wraps(fn)(_same_signature(fn, write))


# NOTE: [out= wrapper cost] torch.exp(x) is called on the hot path of user code, so the wrapper
# has fn's own parameters plus ``out=None`` (generated from its signature) rather than
# (*args, **kwargs): without out= it costs one plain call (about 50 ns), not the packing and
# unpacking of its arguments (about 200 ns).
def _same_signature(fn, write):
    fast = getattr(fn, "unary_apply", None)
    if fast is not None:  # NOTE: [one frame for torch.exp(x)] in _ops/elementwise.py
        source = (
            f"def {fn.__name__}(x, *, out=None):\n"
            f"    if out is None:\n"
            f"        return _apply_unary(_op, x)\n"
            f"    return _write((x,), {{}}, out)\n"
        )
        namespace = {"_apply_unary": fast[0], "_op": fast[1], "_write": write}
        exec(source, namespace)  # noqa: S102  (the source is the fixed text above)
        return namespace[fn.__name__]
    params = list(inspect.signature(fn).parameters.values())
    defaults = {p.name: p.default for p in params if p.default is not p.empty}
    head, positional, keywords, star, starstar = [], [], [], None, None
    for p in params:
        text = p.name + (f"=_defaults[{p.name!r}]" if p.name in defaults else "")
        if p.kind is p.VAR_POSITIONAL:
            star = p.name
            head.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            starstar = p.name
        elif p.kind is p.KEYWORD_ONLY:
            if star is None and "*" not in head:
                head.append("*")
            head.append(text)
            keywords.append(p.name)
        else:
            head.append(text)
            positional.append(p.name)
            if p.kind is p.POSITIONAL_ONLY and (
                p is params[-1] or params[params.index(p) + 1].kind is not p.POSITIONAL_ONLY
            ):
                head.append("/")
    if star is None and "*" not in head:
        head.append("*")
    head.append("out=None")
    if starstar:
        head.append(f"**{starstar}")
    args = [*positional, *([f"*{star}"] if star else [])]
    call = ", ".join(
        [*args, *(f"{k}={k}" for k in keywords), *([f"**{starstar}"] if starstar else [])]
    )
    kwargs = ", ".join(
        [*(f"{k!r}: {k}" for k in keywords), *([f"**{starstar}"] if starstar else [])]
    )
    source = (
        f"def {fn.__name__}({', '.join(head)}):\n"
        f"    if out is None:\n"
        f"        return _fn({call})\n"
        f"    return _write(({', '.join(args)}{',' if args else ''}), {{{kwargs}}}, out)\n"
    )
    namespace = {"_fn": fn, "_write": write, "_defaults": defaults}
    exec(source, namespace)  # noqa: S102  (the source is built above from fn's signature)
    return namespace[fn.__name__]


def _write(name, mode, message, result, out):
    want, got = _FIXED_RESULT.get(name, result.dtype.name), out.dtype.name
    if want != got and mode in ("cast", "exact"):
        if mode == "exact" or not _dtype.can_cast(result.dtype, out.dtype):
            error = TypeError if name in _TYPE_ERRORS else RuntimeError
            raise error(
                message.format(
                    want=_dtype.torch_name(want),
                    got=_dtype.torch_name(got),
                    want_e=_dtype.TORCH_ELEMENT_NAMES.get(want, want),
                    got_e=_dtype.TORCH_ELEMENT_NAMES.get(got, got),
                )
            )
    value = result.to(out.dtype)
    with no_grad():
        if out.shape == value.shape:
            return out.copy_(value)
        warning = _RESIZE_WARNING.get(name, _RESIZED)
        if out.numel() and warning is not None:
            # (the generic warning prints shapes as lists, arange's as a tuple)
            new = list(value.shape) if warning is _RESIZED else tuple(value.shape)
            text = warning.format(old=list(out.shape), n=out.numel(), new_n=value.numel(), new=new)
            warnings.warn(text, stacklevel=3)
        out.data = value.clone()
    return out


def install_out(namespace: dict, names=None) -> None:
    """Give the functions of OUT_POLICY in ``namespace`` (a module's dict) torch's out=: all of
    them, or only ``names``."""
    for name in OUT_POLICY if names is None else names:
        if callable(namespace.get(name)):
            namespace[name] = with_out(namespace[name], OUT_POLICY[name])
