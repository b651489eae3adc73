"""Run the examples in PyTorch's own docstrings under torch and under ``import dualgrad as torch``,
and compare what they print (issues "Real PyTorch code runs unchanged" and "Autograd's wider
surface").

The examples are public code nobody here wrote, and they come with the installed torch (a test
extra), so a test can run them without copying them into this repository. A *program* is the
examples of one docstring, run in order in a fresh namespace holding ``torch``, ``nn`` and ``F``
(the globals torch's own doctest run gives them). Each example runs as the interactive
interpreter runs it, so an expression's value is printed. Its outcome is what it printed, or the
name of the exception it raised; a program agrees when every example's outcome has torch's kind
(output or the same exception) and the same numbers (rtol 1e-4, atol 1e-5; the numbers of a line
are compared, not its text: a repr may name a dualgrad class where torch names its own).

Both sides run in a process of their own. The torch side records each program's random draws,
and the dualgrad side replays them (tools/torch_draws.py): the same data, everything computed
from it each library's own. A docstring torch marks to be skipped (``xdoctest: +SKIP``, a
CUDA or a module requirement) is left out whole, as torch's doctest run leaves it out.

    python tools/torch_doc_examples.py [--names NAME ...] [-v]

prints each program's verdict and the share of the usage-weighted names (tools/api-usage.tsv)
whose examples agree.
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import io
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

import api_coverage  # noqa: E402
from run_ported import numbers  # noqa: E402

# NOTE: [docstring programs' scope] The names whose docstrings are run: every name of
# api-usage.tsv (the priority list), the autograd surface beyond it that the issue
# "Autograd's wider surface" names (saved tensors, the Node API, checkpointing, forward AD,
# torch.func), and every public callable of the torch namespaces dualgrad mirrors. A name
# whose docstring has no example adds nothing; a docstring reached by two names runs twice.
AUTOGRAD_SURFACE = (
    "torch.autograd.graph.saved_tensors_hooks",
    "torch.autograd.graph.save_on_cpu",
    "torch.autograd.graph.disable_saved_tensors_hooks",
    "torch.autograd.graph.register_multi_grad_hook",
    "torch.autograd.graph.allow_mutation_on_saved_tensors",
    "torch.autograd.graph.increment_version",
    "torch.autograd.graph.Node.register_hook",
    "torch.autograd.graph.Node.register_prehook",
    "torch.autograd.graph.Node.name",
    "torch.autograd.graph.Node.metadata",
    "torch.autograd.Function",
    "torch.autograd.function.once_differentiable",
    "torch.autograd.forward_ad.dual_level",
    "torch.autograd.forward_ad.make_dual",
    "torch.autograd.forward_ad.unpack_dual",
    "torch.autograd.functional.jacobian",
    "torch.autograd.functional.hessian",
    "torch.autograd.functional.vjp",
    "torch.autograd.functional.jvp",
    "torch.autograd.functional.vhp",
    "torch.autograd.functional.hvp",
    "torch.autograd.gradcheck",
    "torch.autograd.gradgradcheck",
    "torch.utils.checkpoint.checkpoint",
    "torch.utils.checkpoint.checkpoint_sequential",
    "torch.func.grad",
    "torch.func.grad_and_value",
    "torch.func.vjp",
    "torch.func.jvp",
    "torch.func.linearize",
    "torch.func.jacrev",
    "torch.func.jacfwd",
    "torch.func.hessian",
    "torch.func.vmap",
    "torch.func.functional_call",
    "torch.func.stack_module_state",
    "torch.Tensor.register_post_accumulate_grad_hook",
    "torch.Tensor.register_hook",
    "torch.Tensor.retain_grad",
    "torch.Tensor.backward",
)

# NOTE: [docstring programs that differ by design] A program whose example needs what dualgrad
# deliberately lacks (docs/differences.md), or prints what torch itself does not reproduce:
# {name: why}. The test checks that each of these still differs, so an entry that starts to
# agree is noticed and removed.
_COMPLEX = "complex dtypes: dualgrad has none (docs/differences.md)"
_SPARSE = "sparse layouts: dualgrad has none (docs/differences.md)"
_QUANTIZED = "quantized dtypes: dualgrad has none (docs/differences.md)"
DIFFERENT = {
    **dict.fromkeys(
        (
            "Tensor.view",  # its example 21 views a float tensor as complex
            "Tensor.real",
            "Tensor.imag",
            "torch.real",
            "torch.imag",
            "torch.complex",
            "torch.polar",
            "torch.view_as_real",
            "torch.view_as_complex",
            "torch.is_complex",
            "torch.is_floating_point",  # its example 4 makes a complex64 tensor
            "torch.isreal",
            "torch.adjoint",
            "torch.angle",
            "torch.conj",
            "torch.conj_physical",
            "torch.resolve_conj",
            "torch.resolve_neg",
            "torch.sgn",
            "torch.vdot",
            "torch.cholesky_inverse",  # its example 6
            "torch.cholesky_solve",  # its example 7
            "torch.linalg.cholesky",
            "torch.linalg.cholesky_ex",
            "torch.linalg.cond",
            "torch.linalg.eig",
            "torch.linalg.eigh",
            "torch.linalg.eigvals",
            "torch.linalg.eigvalsh",
            "torch.linalg.inv",  # its example 7
            "torch.linalg.matrix_rank",  # its example 10
            "torch.linalg.pinv",  # its example 7
            *(
                f"torch.fft.{n}"
                for n in (
                    "fft",
                    "fft2",
                    "fftn",
                    "ifft",
                    "ifft2",
                    "ifftn",
                    "rfft",
                    "rfft2",
                    "rfftn",
                    "irfft",
                    "irfft2",
                    "irfftn",
                    "hfft",
                    "hfft2",
                    "hfftn",
                    "ihfft",
                    "ihfftn",
                    "fftshift",
                )
            ),
        ),
        _COMPLEX,
    ),
    **dict.fromkeys(
        (
            "Tensor.to_dense",
            "Tensor.to_sparse",
            "Tensor.to_sparse_coo",
            "Tensor.to_sparse_csr",
            "Tensor.to_sparse_csc",
            "Tensor.to_sparse_bsr",
            "Tensor.to_sparse_bsc",
            "Tensor.sparse_mask",
            "Tensor.col_indices",
            "Tensor.crow_indices",
            "torch.sparse.mm",
            "torch.narrow_copy",  # its example 4
            *(
                f"torch.sparse_{n}_tensor"
                for n in ("coo", "csr", "csc", "bsr", "bsc", "compressed")
            ),
        ),
        _SPARSE,
    ),
    **dict.fromkeys(
        (
            "torch.quantize_per_tensor",
            "torch.quantize_per_tensor_dynamic",
            "torch.quantize_per_channel",
            "torch.quantized_batch_norm",
            "torch.quantized_max_pool1d",
            "torch.quantized_max_pool2d",
        ),
        _QUANTIZED,
    ),
    "torch.nested.nested_tensor": "nested tensors: dualgrad has none (docs/differences.md)",
    "torch.is_storage": "storages: dualgrad has none (docs/differences.md)",
    "torch.sort": (
        "its example 9 prints an unstable sort's order of equal elements, which torch's "
        "documentation leaves unspecified; dualgrad's sort is stable (docs/differences.md)"
    ),
    "torch.set_flush_denormal": "NumPy has no control of denormal flushing: it returns False",
}

# Programs that print uninitialized memory (different on every torch run, and sometimes equal
# by chance): compared by what they print, not by the values (``difference(values=False)``)
UNINITIALIZED = {
    "torch.empty",
    "Tensor.new_empty",
    "torch.empty_strided",
    "Tensor.new_empty_strided",
    "torch.nn.utils.skip_init",
}

# NOTE: [docstring programs not yet agreeing] What dualgrad lacks today but could have: the
# worklist, {name: what is missing}. The test checks that each still differs, so the list
# shrinks as they are done.
_MISSING = "not in dualgrad yet"
KNOWN_GAPS = {
    "torch.empty_permuted": _MISSING,
    "torch.fake_quantize_per_channel_affine": _MISSING,
    "torch.fake_quantize_per_tensor_affine": _MISSING,
    "torch.from_file": _MISSING,
    "torch.hash_tensor": _MISSING,
    "torch.histogramdd": _MISSING,
    "torch.segment_reduce": _MISSING,
    "torch.linalg.householder_product": "its example needs torch.geqrf, not in dualgrad yet",
    "torch.func.rearrange": _MISSING,
    "torch.nn.FractionalMaxPool2d": _MISSING,
    "torch.nn.FractionalMaxPool3d": _MISSING,
    "torch.nn.functional.fractional_max_pool2d": _MISSING,
    "torch.nn.functional.fractional_max_pool2d_with_indices": _MISSING,
    "torch.nn.functional.fractional_max_pool3d": _MISSING,
    "torch.nn.functional.fractional_max_pool3d_with_indices": _MISSING,
    "torch.nn.LinearCrossEntropyLoss": _MISSING,
    "torch.nn.functional.ctc_loss": _MISSING,
    "Tensor.dim_order": "empty()'s memory_format= (channels-last strides) is not in dualgrad yet",
    "torch.nn.MaxUnpool2d": (
        "its example passes the builtin input(): dualgrad raises AttributeError where torch "
        "raises TypeError (the argument-type check modules lack)"
    ),
}

# torch's doctest run skips these; its REQUIRES(env:TORCH_DOCTEST_AUTOGRAD, _LAPACK, ...) gates
# are switches of its CI, not needs, and those examples run here
_SKIPPED = re.compile(r"(xdoctest|doctest):.*(\+SKIP|REQUIRES\((env:\w*(CUDA|SHOW)\w*|module:))")
_PER_PROGRAM_SECONDS = 120  # (a loaded machine: a timeout is reported as a difference)


def torch_path(name: str) -> list[str]:
    """The attribute path below ``torch`` of an api-usage.tsv name."""
    parts = name.split(".")
    if parts[0] == "torch":
        return parts[1:]
    if parts[0] in api_coverage.PREFIXES:
        return api_coverage.PREFIXES[parts[0]] + parts[1:]
    return parts  # Tensor.x


# the namespaces whose public callables' docstrings are run, beside the usage list
NAMESPACES = (
    "", "Tensor", "nn", "nn.functional", "nn.init", "nn.utils", "nn.utils.parametrize",
    "linalg", "special", "fft", "distributions", "optim", "optim.lr_scheduler", "func",
    "autograd", "autograd.functional", "autograd.graph", "autograd.forward_ad", "utils.data",
    "utils.checkpoint", "testing", "random",
)  # fmt: skip


def names_in_scope() -> list[str]:
    """api-usage.tsv's names, the autograd surface, and every public callable of torch's
    NAMESPACES (NOTE: [docstring programs' scope])."""
    import torch

    names = [n for n, _ in api_coverage.read_usage()] + list(AUTOGRAD_SURFACE)
    for space in NAMESPACES:
        module = torch
        for part in space.split(".") if space else ():
            module = getattr(module, part)
        prefix = "Tensor" if space == "Tensor" else "torch" + ("." + space if space else "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (deprecated attributes warn when read)
            for attr in dir(module):
                if attr.startswith("_"):
                    continue
                try:
                    obj = getattr(module, attr)
                except Exception:
                    continue
                if callable(obj) and not isinstance(obj, type(torch)):
                    names.append(f"{prefix}.{attr}")
    return list(dict.fromkeys(names))


def programs(names) -> dict[str, list[str]]:
    """{name: the sources of its docstring's examples} for the names whose torch docstring has
    examples that torch's doctest run would run (NOTE: [docstring programs' scope])."""
    import importlib

    import torch

    found = {}
    parser = doctest.DocTestParser()
    for name in names:
        obj = torch
        path = "torch"
        try:
            for part in torch_path(name):
                try:
                    obj = getattr(obj, part)
                except AttributeError:
                    obj = importlib.import_module(f"{path}.{part}")
                path += "." + part
        except Exception:  # a name this torch does not have
            continue
        doc = getattr(obj, "__doc__", None)
        if not isinstance(doc, str) or _SKIPPED.search(doc):
            continue
        try:
            sources = [e.source for e in parser.get_examples(doc)]
        except ValueError:  # a docstring doctest cannot parse (ragged indentation)
            continue
        if sources:
            found[name] = sources
    return found


# ------------------------------------------------------------------ one side's run
class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout(f"longer than {_PER_PROGRAM_SECONDS} s")


def run_side(side: str, progs: dict[str, list[str]], draws_file: Path) -> dict:
    """{name: [(outcome kind, text)]}: each program's examples run on ``side``."""
    if side == "torch":
        import torch

        import torch_draws

        drawn = torch_draws.record()
        all_draws = {}
    else:
        import torch_draws

        with open(draws_file, "rb") as f:
            all_draws = pickle.load(f)
        start_over = torch_draws.replay([])
        import as_dualgrad

        as_dualgrad.install()
        import torch  # (dualgrad, by as_dualgrad)
    import numpy as np

    signal.signal(signal.SIGALRM, _alarm)
    results = {}
    for name, sources in progs.items():
        # each program starts from torch's defaults, whatever the one before it set
        torch.manual_seed(0)
        np.random.seed(0)
        torch.set_default_dtype(torch.float32)
        torch.set_printoptions(profile="default")
        torch.set_grad_enabled(True)
        if side == "torch":
            drawn.clear()
        else:
            start_over(all_draws.get(name, []))
        namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "__name__": "doc"}
        outcomes = []
        signal.alarm(_PER_PROGRAM_SECONDS)
        try:
            for source in sources:
                outcomes.append(_run_example(source, namespace))
        except _Timeout:
            outcomes.append(("raises", "Timeout", ""))
        finally:
            signal.alarm(0)
        results[name] = outcomes
        if side == "torch":
            all_draws[name] = list(drawn)
    if side == "torch":
        with open(draws_file, "wb") as f:
            pickle.dump(all_draws, f)
    return results


def _run_example(source: str, namespace: dict) -> tuple[str, str]:
    out = io.StringIO()
    try:
        code = compile(source, "<docstring example>", "single")
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)
    except _Timeout:
        raise
    except BaseException as e:  # (SystemExit too: an example is not to end the run)
        return ("raises", type(e).__name__, str(e)[:300])
    return ("prints", out.getvalue())


# ------------------------------------------------------------------ comparing
def difference(torch_outcomes, our_outcomes, rtol=1e-4, atol=1e-5, values=True) -> str | None:
    """The first example whose outcome differs, described; None when the program agrees.
    Without ``values``, an example agrees when it prints as many numbers as torch's."""
    for i, (theirs, ours) in enumerate(zip(torch_outcomes, our_outcomes)):
        (kind, text), (our_kind, our_text) = theirs[:2], ours[:2]
        where = f"example {i + 1}"
        # (torch.linalg.LinAlgError is the class torch._C._LinAlgError)
        if kind != our_kind or (kind == "raises" and text.lstrip("_") != our_text.lstrip("_")):
            why = f" ({ours[2][:200]})" if our_kind == "raises" else ""
            return (
                f"{where}: torch {kind} {_short(text)}, dualgrad {our_kind} {_short(our_text)}"
                + why
            )
        if kind == "prints":
            xs, ys = numbers(text), numbers(our_text)
            if len(xs) != len(ys):
                return f"{where}: torch prints {_short(text)}, dualgrad {_short(our_text)}"
            for x, y in zip(xs, ys) if values else ():
                if not (x == y or (x != x and y != y) or abs(x - y) <= atol + rtol * abs(x)):
                    return f"{where}: torch prints {_short(text)}, dualgrad {_short(our_text)}"
    if len(torch_outcomes) != len(our_outcomes):
        return f"torch ran {len(torch_outcomes)} examples, dualgrad {len(our_outcomes)}"
    return None


def _short(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[:width] + "...")


def compare_all(names=None, timeout: float = 1200) -> tuple[dict, dict, dict]:
    """(programs, torch's outcomes, dualgrad's outcomes), each side run in its own process."""
    names = list(names) if names else names_in_scope()
    with tempfile.TemporaryDirectory(prefix="doc_examples_") as tmp:
        tmp = Path(tmp)
        (tmp / "names.pkl").write_bytes(pickle.dumps(names))
        for side in ("torch", "dualgrad"):
            subprocess.run(
                [sys.executable, __file__, "--side", side, "--dir", str(tmp)],
                check=True,
                timeout=timeout,
                cwd=tmp,
            )
        progs = pickle.loads((tmp / "programs.pkl").read_bytes())
        theirs = pickle.loads((tmp / "torch.pkl").read_bytes())
        ours = pickle.loads((tmp / "dualgrad.pkl").read_bytes())
    return progs, theirs, ours


def _side_main(side: str, folder: Path) -> None:
    if side == "torch":
        names = pickle.loads((folder / "names.pkl").read_bytes())
        progs = programs(names)
        (folder / "programs.pkl").write_bytes(pickle.dumps(progs))
    else:
        progs = pickle.loads((folder / "programs.pkl").read_bytes())
    results = run_side(side, progs, folder / "draws.pkl")
    (folder / f"{side}.pkl").write_bytes(pickle.dumps(results))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", nargs="*")
    parser.add_argument("--side", choices=("torch", "dualgrad"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        _side_main(args.side, args.dir)
        return 0
    progs, theirs, ours = compare_all(args.names)
    usage = dict(api_coverage.read_usage())
    agree = by_design = gaps = 0
    share = total_share = 0.0
    for name in progs:
        diff = difference(theirs[name], ours[name], values=name not in UNINITIALIZED)
        listed = DIFFERENT.get(name) or KNOWN_GAPS.get(name)
        if listed:
            by_design += name in DIFFERENT
            gaps += name in KNOWN_GAPS
            if args.verbose or diff is None:
                print(f"{'AGREES' if diff is None else 'LISTED'}  {name}: {listed}")
            continue
        total_share += usage.get(name, 0.0)
        if diff is None:
            agree += 1
            share += usage.get(name, 0.0)
            if args.verbose:
                print(f"PASS  {name}")
        else:
            print(f"DIFF  {name}: {diff}")
    rest = len(progs) - by_design - gaps
    print(
        f"{agree} of {rest} docstring programs agree with torch ({by_design} more differ by "
        f"design, {gaps} are known gaps); {share:.2f} of {total_share:.2f} usage points "
        "(api-usage.tsv) among them"
    )
    return 0 if agree == rest else 1


if __name__ == "__main__":
    sys.exit(main())
