"""``import torch`` that gives dualgrad: for running public PyTorch code unchanged under
``import dualgrad as torch`` (tools/run_ported.py, tools/torch_doc_examples.py).

``install()`` puts a finder first on ``sys.meta_path`` that resolves ``torch``, ``torch.*`` and
``functorch`` to ``dualgrad``, ``dualgrad.*`` and ``dualgrad.func``; call it in a process that
never imports torch itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

RENAMES = {"torch": "dualgrad", "functorch": "dualgrad.func"}


class _AsDualgrad(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in RENAMES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        head, _, rest = spec.name.partition(".")
        return importlib.import_module(RENAMES[head] + ("." + rest if rest else ""))

    def exec_module(self, module):
        pass


def install() -> None:
    if "torch" in sys.modules and not sys.modules["torch"].__name__.startswith("dualgrad"):
        raise RuntimeError("torch is already imported: run dualgrad's side in its own process")
    sys.meta_path.insert(0, _AsDualgrad())
