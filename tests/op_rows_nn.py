"""Op-table rows for the nn primitives (im2col, col2im) and the conv/pool composites built on
them; tests/op_table.py gathers them into ROWS."""

import numpy as np
from op_table_base import Const, F, Row  # noqa: F401


def _nnf(m):
    return m.nn.functional


def _huber(t, x, y, delta):
    d = x - y
    return t.where(d.abs() < delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))


ROWS: list = [
    Row(
        "linear",
        lambda m, x, w: _nnf(m).linear(x, w),
        [[F((5, 4)), F((3, 4))], [F((4,)), F((3, 4))], [F((2, 5, 4)), F((3, 4))]],
        ops=("t", "matmul", "mv"),
    ),
    Row(
        "linear_bias",
        lambda m, x, w, b: _nnf(m).linear(x, w, b),
        [[F((5, 4)), F((3, 4)), F((3,))], [F((4,)), F((3, 4)), F((3,))]]
        + [[F((2, 5, 4)), F((3, 4)), F((3,))]],
        ops=("addmm", "t", "reshape"),
    ),
    # losses torch records as one node (NOTE: [fused losses])
    Row(
        "mse_loss",
        lambda m, x, y: _nnf(m).mse_loss(x, y),
        [[F((3, 4)), F((3, 4))], [F(()), F(())]],
    ),
    Row(
        "mse_loss_sum_none",
        lambda m, x, y: (
            _nnf(m).mse_loss(x, y, reduction="sum"),
            _nnf(m).mse_loss(x, y, reduction="none"),
        ),
        [[F((3, 4)), F((3, 4))], [F((2, 3)), F((2, 3), transposed=True)]],
        ops=("mse_loss",),
    ),
    Row(
        "smooth_l1_loss",
        lambda m, x, y: (
            _nnf(m).smooth_l1_loss(x, y, beta=0.5),
            _nnf(m).smooth_l1_loss(x, y, reduction="none"),
        ),
        [[F((3, 4), -2.0, 2.0), F((3, 4))]],
    ),
    Row(
        "huber_loss",
        lambda m, x, y: (
            _nnf(m).huber_loss(x, y, delta=0.7),
            _nnf(m).huber_loss(x, y, reduction="sum"),
        ),
        [[F((3, 4), -2.0, 2.0), F((3, 4))]],
        # torch's huber_loss has no forward-mode rule: its values, as a composite in torch
        torch_fn=lambda t, x, y: (_huber(t, x, y, 0.7).mean(), _huber(t, x, y, 1.0).sum()),
    ),
    Row(
        "binary_cross_entropy",
        lambda m, x, y: (
            _nnf(m).binary_cross_entropy(x, y),
            _nnf(m).binary_cross_entropy(x, y, reduction="none"),
        ),
        [[F((3, 4), 0.1, 0.9), F((3, 4), 0.0, 1.0)]],
    ),
    Row(
        "binary_cross_entropy_with_logits",
        lambda m, x, y: (
            _nnf(m).binary_cross_entropy_with_logits(x, y),
            _nnf(m).binary_cross_entropy_with_logits(x, y, reduction="sum"),
        ),
        [[F((3, 4), -3.0, 3.0), F((3, 4), 0.0, 1.0)]],
    ),
    Row(
        "nll_loss",
        lambda m, x: _nnf(m).nll_loss(x, m.tensor([1, 0, 3])),
        [[F((3, 4))]],
    ),
    Row(
        "nll_loss_weight_ignore",
        lambda m, x, w: _nnf(m).nll_loss(x, m.tensor([1, -100, 3]), w),
        [[F((3, 4)), Const([0.5, 1.0, 2.0, 1.5])]],
        ops=("nll_loss",),
    ),
    Row(
        "nll_loss_sum_none_1d_4d",
        lambda m, x, y: (
            _nnf(m).nll_loss(x, m.tensor([[1, 0], [2, 2]]), reduction="none"),
            _nnf(m).nll_loss(y, m.tensor(2), reduction="sum"),
            _nnf(m).nll_loss(x, m.tensor([[1, 0], [2, 2]]), reduction="sum"),
        ),
        [[F((2, 3, 2)), F((3,))]],
        ops=("nll_loss",),
    ),
    Row(
        "cross_entropy",
        lambda m, x: _nnf(m).cross_entropy(x, m.tensor([1, 0, 3])),
        [[F((3, 4))]],
        ops=("nll_loss", "log_softmax"),
    ),
    Row(
        "im2col",
        lambda m, x: _nnf(m).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        [[F((2, 3, 4, 5))], [F((1, 2, 3, 3))]],
    ),
    Row("im2col_plain", lambda m, x: _nnf(m).unfold(x, 2), [[F((1, 2, 3, 4))]], ops=("im2col",)),
    Row(
        "col2im",
        lambda m, x: _nnf(m).fold(x, (4, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        [[F((2, 18, 9))]],
    ),
    Row(
        "col2im_overlap", lambda m, x: _nnf(m).fold(x, (3, 4), 2), [[F((1, 8, 6))]], ops=("col2im",)
    ),
    Row(
        "conv2d",
        lambda m, x, w, b: _nnf(m).conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
        [[F((2, 2, 5, 5)), F((3, 2, 2, 2)), F((3,))]],
        ops=("im2col", "matmul", "reshape", "add"),
    ),
    Row(
        "conv2d_groups",
        lambda m, x, w: _nnf(m).conv2d(x, w, groups=2),
        [[F((1, 4, 4, 4)), F((2, 2, 3, 3))]],
        ops=("im2col", "matmul"),
    ),
    Row(
        "conv1d",
        lambda m, x, w: _nnf(m).conv1d(x, w, stride=2, padding=1),
        [[F((2, 2, 7)), F((3, 2, 3))]],
        ops=("im2col", "matmul"),
    ),
    Row(
        "conv_transpose2d",
        lambda m, x, w, b: _nnf(m).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [[F((1, 2, 3, 3)), F((2, 3, 3, 3)), F((3,))]],
        ops=("col2im", "matmul"),
    ),
    Row(
        "max_pool2d",
        lambda m, x: _nnf(m).max_pool2d(x, 3, 2, 1),
        [[F((1, 2, 5, 5))]],
        ops=("index", "argmax", "gather"),
        second_order=False,
    ),
    Row(
        "max_pool2d_ceil",
        lambda m, x: _nnf(m).max_pool2d(x, (3, 2), (2, 3), (1, 1), (1, 2), ceil_mode=True),
        [[F((2, 2, 6, 7))], [F((3, 5, 4))]],
        ops=("index", "argmax", "gather"),
        second_order=False,
    ),
    Row(
        "max_pool2d_indices",
        lambda m, x: _nnf(m).max_pool2d(x, 2, 2, 1, ceil_mode=True, return_indices=True)[1],
        [[F((2, 3, 5, 5))]],
        ops=("argmax", "gather"),
        nondiff=True,
    ),
    Row(
        "adaptive_max_pool2d",
        lambda m, x: _nnf(m).adaptive_max_pool2d(x, (3, 2)),
        [[F((2, 2, 7, 5))]],
        ops=("index", "argmax", "gather"),
        second_order=False,
    ),
    Row(
        "max_unpool2d",
        lambda m, x, i: _nnf(m).max_unpool2d(x, i, 2, 2, output_size=(5, 5)),
        [[F((1, 2, 2, 2)), Const(np.array([[[[0, 3], [11, 18]], [[6, 8], [20, 24]]]]))]],
        ops=("scatter",),
    ),
    Row(
        "avg_pool2d",
        lambda m, x: _nnf(m).avg_pool2d(x, 2, 1, 1, count_include_pad=False),
        [[F((1, 2, 4, 4))]],
        ops=("im2col", "sum"),
    ),
    Row(
        "avg_pool2d_ceil",
        lambda m, x: _nnf(m).avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        [[F((2, 2, 6, 5))]],
        ops=("im2col", "sum"),
    ),
    Row(
        "avg_pool2d_ceil_nopad",
        lambda m, x: _nnf(m).avg_pool2d(x, (3, 2), 2, (1, 0), True, False),
        [[F((1, 3, 6, 7))]],
        ops=("im2col", "sum"),
    ),
    Row(
        "interpolate_nearest",
        lambda m, x: _nnf(m).interpolate(x, size=(7, 5)),
        [[F((2, 2, 3, 4))]],
        ops=("index",),
    ),
    Row(
        "interpolate_bilinear",
        lambda m, x: _nnf(m).interpolate(x, scale_factor=1.7, mode="bilinear"),
        [[F((2, 2, 3, 4))]],
        ops=("index", "mul", "sum"),
    ),
    Row(
        "interpolate_bilinear_corners",
        lambda m, x: _nnf(m).interpolate(x, size=(6, 3), mode="bilinear", align_corners=True),
        [[F((1, 3, 4, 5))]],
        ops=("index", "mul", "sum"),
    ),
    Row(
        "interpolate_linear",
        lambda m, x: _nnf(m).interpolate(x, size=9, mode="linear"),
        [[F((2, 3, 4))]],
        ops=("index", "mul", "sum"),
    ),
    Row(
        "interpolate_bicubic",
        lambda m, x: _nnf(m).interpolate(x, size=(5, 7), mode="bicubic"),
        [[F((1, 2, 4, 3))]],
        ops=("index", "mul", "sum"),
    ),
]
