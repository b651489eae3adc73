"""dualgrad.compile: trace once per guard key, replay a flat program of kernels (NOTE:
[compile] in api.py, [the trace sits under the ground] in trace.py, [replay] in program.py)."""

from .api import CompiledFunction, CompileWarning, compile  # noqa: F401,A004
from .trace import CompileError  # noqa: F401
