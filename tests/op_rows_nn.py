"""Op-table rows for the nn primitives (im2col, col2im) and the conv/pool composites built on
them; tests/op_table.py gathers them into ROWS."""

import numpy as np
from op_table_base import Const, F, Row  # noqa: F401


def _nnf(m):
    return m.nn.functional


ROWS: list = [
    Row(
        "linear",
        lambda m, x, w: _nnf(m).linear(x, w),
        [[F((5, 4)), F((3, 4))], [F((4,)), F((3, 4))], [F((2, 5, 4)), F((3, 4))]],
    ),
    Row(
        "linear_bias",
        lambda m, x, w, b: _nnf(m).linear(x, w, b),
        [[F((5, 4)), F((3, 4)), F((3,))]],
        ops=("linear", "add"),
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
