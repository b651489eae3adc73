"""Tensors keep their attributes in their class's shared key table, whatever the process made
before (NOTE: [instance attribute keys] in _tensor.py): after many plain tensors, recorded ops,
views, batched tensors and parameters make no dict of their own. Each case runs in a fresh
interpreter, because the table's state is the process's history."""

import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import gc
import numpy as np
import dualgrad as dg

plain = [dg.tensor(np.ones(3)) for _ in range(100)]  # fills the classes' instance counts
plain += [dg.nn.Parameter(dg.ones(2)) for _ in range(40)]

def dicts_made(make):
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    kept = [make(i) for i in range(50)]
    # an instance's own dict holds its attributes; a node's params dict does not count
    names = {"_data", "grad_fn", "_requires_grad", "_value", "_view_version", "_vc"}
    return sum(
        1 for o in gc.get_objects() if type(o) is dict and id(o) not in before and names & o.keys()
    )
"""

CASES = {
    "recorded ops": "x = dg.tensor([1.0, 2.0]).requires_grad_()\n"
    "made = dicts_made(lambda i: dg.exp(dg.sin(x) * 0.5) + x)",
    "views with history": "x = dg.tensor([1.0, 2.0, 3.0]).requires_grad_()\n"
    "made = dicts_made(lambda i: (x * 2)[1:])",
    "a leaf that requires grad": "made = dicts_made(lambda i: dg.ones(2).requires_grad_())",
    "batched tensors": "xs = dg.ones(4, 3)\n"
    "made = dicts_made(lambda i: dg.func.vmap(lambda r: dg.sin(r) * r)(xs))",
    "parameters": "made = dicts_made(lambda i: dg.nn.Parameter(dg.ones(2)) * 2)",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_dict_per_tensor_after_many_tensors(case):
    code = PRELUDE + textwrap.dedent(CASES[case]) + "\nprint(made)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) == 0, out.stdout
