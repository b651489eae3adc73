"""Pictures of graphs: ``make_dot`` for the reverse graph (torchviz's conventions, double
backward included) and ``trace_dot`` / ``forward_trace`` for forward-mode computations.

Needs the optional ``graphviz`` package (``pip install 'dualgrad[viz]'``); rendering needs the
Graphviz ``dot`` program (NOTE: [optional graphviz] in _graphviz.py).
"""

from ._backward import make_dot
from ._forward import ForwardTrace, forward_trace, trace_dot
from ._graphviz import dot_available

__all__ = ["make_dot", "trace_dot", "forward_trace", "ForwardTrace", "dot_available"]
