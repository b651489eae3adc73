"""The optional ``graphviz`` package: imported on first use, with errors that say what to install.

# NOTE: [optional graphviz]
dualgrad's only runtime dependency is NumPy, so ``graphviz`` (the Python package, the
``dualgrad[viz]`` extra) is imported when a picture is first asked for, and a missing package
is an ImportError naming the extra. The package writes DOT source by itself; only *rendering*
(``render``, ``pipe``, ``view``, Jupyter's display) runs the ``dot`` binary. The graphs we
return are a ``graphviz.Digraph`` subclass whose rendering turns graphviz's
``ExecutableNotFound`` into one that says how to install the binary, so ``.source`` works
everywhere and the error says what to do.
"""

from __future__ import annotations

INSTALL_PACKAGE = (
    "dualgrad.viz needs the 'graphviz' Python package: pip install 'dualgrad[viz]' "
    "(or pip install graphviz)"
)
INSTALL_DOT = (
    "rendering a graph needs the Graphviz 'dot' program on PATH, which pip does not install: "
    "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), "
    "conda install -c conda-forge graphviz, or see https://graphviz.org/download/. "
    "Without it, .source still gives the DOT text"
)

_digraph_cls = None


def graphviz_module():
    """The ``graphviz`` module, or an ImportError that names the extra to install."""
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(INSTALL_PACKAGE) from e
    return graphviz


def digraph_class():
    """``graphviz.Digraph`` whose rendering explains a missing ``dot`` binary."""
    global _digraph_cls
    if _digraph_cls is not None:
        return _digraph_cls
    graphviz = graphviz_module()

    class DotNotFound(graphviz.ExecutableNotFound):
        """Raised by rendering when the ``dot`` binary is missing; says how to install it."""

        def __init__(self, message: str):
            RuntimeError.__init__(self, message)

    def explained(method):
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except DotNotFound:
                raise
            except graphviz.ExecutableNotFound as e:
                raise DotNotFound(f"{INSTALL_DOT} ({e})") from e

        wrapper.__name__ = method.__name__
        wrapper.__doc__ = method.__doc__
        return wrapper

    class Digraph(graphviz.Digraph):
        __doc__ = graphviz.Digraph.__doc__
        render = explained(graphviz.Digraph.render)
        pipe = explained(graphviz.Digraph.pipe)
        view = explained(graphviz.Digraph.view)

    Digraph.DotNotFound = DotNotFound
    _digraph_cls = Digraph
    return Digraph


def new_digraph(**kwargs):
    return digraph_class()(**kwargs)


def dot_available() -> bool:
    """Whether the ``dot`` binary runs (pictures can be rendered)."""
    import shutil
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        return False
    try:
        subprocess.run([exe, "-V"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return True
