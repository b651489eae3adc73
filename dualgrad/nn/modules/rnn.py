"""RNN, GRU, LSTM and their cells, with torch.nn's parameters, shapes and initialisation.

Each step is a composite of dualgrad ops (linear, sigmoid, tanh, chunk, stack), so the layers
have every mode (reverse, forward, nested) for free. The input projection of a whole layer is
one matmul over all time steps; only the hidden projection runs step by step.

An LSTM with ``proj_size`` P (Sak et al., 2014, as torch) projects each new hidden state by
``weight_hr`` (P, H): h (and so the output and the next step's ``weight_hh`` input) has size P
while the cell state keeps size H.
"""

from __future__ import annotations

import math

from ... import _factories
from ..._ops.shape import cat, stack
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

# gates per mode: the row blocks of weight_ih / weight_hh, in torch's order
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _rnn_tanh_step(xw, h, w_hh, b_hh):
    return F.tanh(xw + F.linear(h, w_hh, b_hh))


def _rnn_relu_step(xw, h, w_hh, b_hh):
    return F.relu(xw + F.linear(h, w_hh, b_hh))


def _gru_step(xw, h, w_hh, b_hh):
    """torch's GRU: r and z from both projections; n = tanh(x_n + r * (W_hn h + b_hn))."""
    x_r, x_z, x_n = xw.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = F.sigmoid(x_r + h_r)
    z = F.sigmoid(x_z + h_z)
    n = F.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def _lstm_step(xw, state, w_hh, b_hh, w_hr=None):
    """torch's LSTM gate order: input, forget, cell, output; ``w_hr`` the optional projection."""
    h, c = state
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    return (h if w_hr is None else F.linear(h, w_hr)), c


_STEPS = {
    "RNN_TANH": _rnn_tanh_step,
    "RNN_RELU": _rnn_relu_step,
    "GRU": _gru_step,
    "LSTM": _lstm_step,
}


def _init_uniform(module, hidden_size):
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class RNNBase(Module):
    """The shared machinery of RNN, GRU and LSTM: parameters ``weight_ih_l{k}[_reverse]``,
    ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` for an LSTM
    with ``proj_size``), all ~ U(-1/sqrt(hidden), 1/sqrt(hidden)); input (L, N, H_in), or
    (N, L, H_in) with ``batch_first``, or unbatched (L, H_in); hidden states
    (num_layers * num_directions, N, H), h of size ``proj_size`` when that is set."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be a positive integer")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be a positive integer")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        out_size = self._out_size()
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [
                    ("weight_ih", (gate_size, layer_in)),
                    ("weight_hh", (gate_size, out_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:  # last, as torch registers it (state_dict order)
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(
                        self,
                        name + suffix,
                        Parameter(_factories.empty(*shape, dtype=dtype, device=device)),
                    )
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        _init_uniform(self, self.hidden_size)

    def _out_size(self):
        """The size of h (and of each direction's output): proj_size if set, else hidden_size."""
        return self.proj_size or self.hidden_size

    def _state_sizes(self):
        """The last dim of each state tensor: h, and for an LSTM c (never projected)."""
        return (self._out_size(), self.hidden_size) if self.mode == "LSTM" else (self.hidden_size,)

    def _weights(self, layer, direction):
        """(w_ih, w_hh, b_ih, b_hh, w_hr); absent ones (no bias, no projection) are None."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        has = {"bias_ih": self.bias, "bias_hh": self.bias, "weight_hr": bool(self.proj_size)}
        get = lambda n: getattr(self, n + suffix) if has.get(n, True) else None  # noqa: E731
        return tuple(get(n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    def _zero_state(self, input, batch, size):
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions,) + ((batch,) if batch is not None else ()) + (size,)
        return _factories.zeros(*shape, dtype=input.dtype)

    def _check_input(self, input, hx_shapes):
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )
        directions = 2 if self.bidirectional else 1
        for h, size in zip(hx_shapes, self._state_sizes()):
            want = self.num_layers * directions
            if h.ndim != input.ndim or h.shape[0] != want or h.shape[-1] != size:
                raise RuntimeError(
                    f"{type(self).__name__}: expected hidden size ({want}, [batch,] {size}) "
                    f"for {input.ndim}-D input, got {tuple(h.shape)}"
                )

    def _run(self, input, state):
        """``input`` (L, N, H_in); ``state`` a tuple of (layers*dirs, N, H) tensors (h, or h and
        c; h has size proj_size when set). Returns the last layer's output (L, N, dirs*H_out)
        and the final states, stacked."""
        step = _STEPS[self.mode]
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in state]
        layer_in = input
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                xw = F.linear(layer_in, w_ih, b_ih).unbind(0)
                # only the LSTM step takes a projection
                weights = (w_hh, b_hh) if w_hr is None else (w_hh, b_hh, w_hr)
                s = tuple(t[layer * directions + direction] for t in state)
                s = s if len(s) > 1 else s[0]
                hs = [None] * len(xw)
                order = range(len(xw) - 1, -1, -1) if direction else range(len(xw))
                for t in order:
                    s = step(xw[t], s, *weights)
                    hs[t] = s[0] if isinstance(s, tuple) else s
                outs.append(stack(hs, 0))
                for k, v in enumerate(s if isinstance(s, tuple) else (s,)):
                    finals[k].append(v)
            layer_in = outs[0] if directions == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        return layer_in, tuple(stack(f, 0) for f in finals)

    def _forward(self, input, hx):
        """Normalise layout (batch_first, unbatched), run, and restore it."""
        hx = () if hx is None else hx
        self._check_input(input, hx)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
            hx = tuple(h.unsqueeze(1) for h in hx)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if not hx:
            hx = tuple(
                self._zero_state(input, input.shape[1], size) for size in self._state_sizes()
            )
        out, finals = self._run(input, hx)
        if not batched:
            return out.squeeze(1), tuple(f.squeeze(1) for f in finals)
        if self.batch_first:
            out = out.transpose(0, 1)
        return out, finals

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _rnn_args(args, kwargs):
    """torch.nn.RNN's signature: (input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)."""
    names = [
        "input_size",
        "hidden_size",
        "num_layers",
        "nonlinearity",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "device",
        "dtype",
    ]
    values = dict(zip(names, args))
    for k in kwargs:
        if k in values:
            raise TypeError(f"RNN() got multiple values for argument '{k}'")
    values.update(kwargs)
    nonlinearity = values.pop("nonlinearity", "tanh")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return nonlinearity, values


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    >>> import dualgrad as dg
    >>> out, h = dg.nn.RNN(3, 4, num_layers=2)(dg.randn(5, 2, 3))
    >>> tuple(out.shape), tuple(h.shape)
    ((5, 2, 4), (2, 2, 4))
    """

    def __init__(self, *args, **kwargs):
        nonlinearity, values = _rnn_args(args, kwargs)
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **values)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, None if hx is None else (hx,))
        return out, h


class GRU(RNNBase):
    """Gated recurrent unit, torch's formulation (the reset gate multiplies ``W_hn h + b_hn``).

    >>> import dualgrad as dg
    >>> out, h = dg.nn.GRU(3, 4, batch_first=True)(dg.randn(2, 5, 3))
    >>> tuple(out.shape), tuple(h.shape)
    ((2, 5, 4), (1, 2, 4))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, None if hx is None else (hx,))
        return out, h


class LSTM(RNNBase):
    """Long short-term memory; returns ``(output, (h_n, c_n))``. With ``proj_size`` P, h and
    the output have size P (``weight_hr_l{k}`` projects each step's h), c keeps ``hidden_size``.

    >>> import dualgrad as dg
    >>> out, (h, c) = dg.nn.LSTM(3, 4, bidirectional=True)(dg.randn(5, 3))
    >>> tuple(out.shape), tuple(c.shape)
    ((5, 8), (2, 4))
    >>> out, (h, c) = dg.nn.LSTM(3, 4, proj_size=2)(dg.randn(5, 3))
    >>> tuple(out.shape), tuple(h.shape), tuple(c.shape)
    ((5, 2), (1, 2), (1, 4))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0)")
        out, (h, c) = self._forward(input, None if hx is None else tuple(hx))
        return out, (h, c)


class RNNCellBase(Module):
    """One step: parameters ``weight_ih`` (G*H, H_in), ``weight_hh`` (G*H, H), ``bias_ih``,
    ``bias_hh``; input (N, H_in) or unbatched (H_in)."""

    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.mode, self.input_size, self.hidden_size, self.bias = (
            mode,
            input_size,
            hidden_size,
            bias,
        )
        gate_size = _GATES[mode] * hidden_size
        self.weight_ih = Parameter(
            _factories.empty(gate_size, input_size, dtype=dtype, device=device)
        )
        self.weight_hh = Parameter(
            _factories.empty(gate_size, hidden_size, dtype=dtype, device=device)
        )
        if bias:
            self.bias_ih = Parameter(_factories.empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(_factories.empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _init_uniform(self, self.hidden_size)

    def _step(self, input, hx, n_state):
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zero = _factories.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            hx = (zero,) * n_state
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx)
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        out = _STEPS[self.mode](xw, hx if n_state > 1 else hx[0], self.weight_hh, self.bias_hh)
        out = out if isinstance(out, tuple) else (out,)
        return out if batched else tuple(o.squeeze(0) for o in out)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        return s


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size,
            hidden_size,
            bias,
            device,
            dtype,
        )

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,), 1)[0]


class GRUCell(RNNCellBase):
    """One step of a GRU: ``h' = (1 - z) * n + z * h``, with torch's gate order (r, z, n) and
    initialisation; ``hx`` defaults to zeros."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,), 1)[0]


class LSTMCell(RNNCellBase):
    """Returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else tuple(hx), 2)
