"""im2col and col2im: the two linear primitives convolution and pooling are made of.

``im2col`` (torch.nn.functional.unfold) gathers every sliding block of a padded, strided,
dilated 2-D input into a column: (N, C, H, W) -> (N, C*kh*kw, L), L = OH * OW blocks.
``col2im`` (torch.nn.functional.fold) is its adjoint: it adds every column back into its
block (overlaps sum) and crops the padding. Each is declared linear with the other as its
adjoint, so both have every mode and order.

# NOTE: [conv as im2col + matmul]
A convolution is then ``weight.reshape(O, C*kh*kw) @ im2col(x)``: matmul is multilinear, so the
conv's rules in (input, weight) come from im2col's and matmul's, forward mode and second order
included, with no conv-specific rule to write. The transposed convolution is
``col2im(weight^T @ x)``, max pooling ``amax`` over the block dim of ``im2col`` of the
-inf-padded input, average pooling its mean. The forward kernel reads the blocks through
``sliding_window_view`` (no Python loop) and copies them once into the column layout, so the
matmul runs on BLAS.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._dispatch import apply
from .registry import linear

__all__: list = []  # public through dualgrad.nn.functional (unfold, fold)


def _blocks(size, kernel, dilation, padding, stride):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _im2col_kernel(x, *, kernel, dilation, padding, stride):
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = sliding_window_view(x, (eh, ew), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    oh, ow = win.shape[2], win.shape[3]
    # (N, C, OH, OW, kh, kw) -> (N, C, kh, kw, OH, OW): one copy into the column layout (always
    # a copy: with a 1x1 kernel the windows are x itself, which ascontiguousarray would return)
    return np.array(win.transpose(0, 1, 4, 5, 2, 3), order="C").reshape(n, c * kh * kw, oh * ow)


def _col2im_kernel(cols, *, output_size, kernel, dilation, padding, stride):
    n, ck, _ = cols.shape
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = output_size, kernel, dilation, padding, stride
    c = ck // (kh * kw)
    oh, ow = _blocks(h, kh, dh, ph, sh), _blocks(w, kw, dw, pw, sw)
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[
                :,
                :,
                i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw,
            ] += blocks[:, :, i, j]
    return np.asanyarray(out[:, :, ph : ph + h, pw : pw + w], order="C")  # torch's is contiguous


def _im2col_adjoint(g, x, *, needs, kernel, dilation, padding, stride):
    size = tuple(x.shape[2:])
    return (
        apply(
            COL2IM,
            g,
            output_size=size,
            kernel=kernel,
            dilation=dilation,
            padding=padding,
            stride=stride,
        ),
    )


def _col2im_adjoint(g, cols, *, needs, output_size, kernel, dilation, padding, stride):
    return (apply(IM2COL, g, kernel=kernel, dilation=dilation, padding=padding, stride=stride),)


IM2COL = linear("im2col", _im2col_kernel, _im2col_adjoint, node_name="Im2ColBackward0")
COL2IM = linear("col2im", _col2im_kernel, _col2im_adjoint, node_name="Col2ImBackward0")


def pair(v, name="argument"):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def _check(name, kernel, dilation, padding, stride):
    if min(kernel) <= 0 or min(dilation) <= 0 or min(stride) <= 0:
        raise RuntimeError(
            f"{name}: kernel_size, dilation and stride must be positive, got kernel_size={kernel}, "
            f"dilation={dilation}, stride={stride}"
        )
    if min(padding) < 0:
        raise RuntimeError(f"{name}: padding must be non-negative, got {padding}")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a (N, C, H, W) input as columns: (N, C*kh*kw, L).

    >>> import dualgrad as dg
    >>> dg.nn.functional.unfold(dg.ones(1, 2, 3, 3), 2).shape
    dualgrad.Size([1, 8, 4])
    """
    if input.ndim != 4:
        raise NotImplementedError(f"unfold: expected a 4-D (N, C, H, W) input, got {input.ndim}-D")
    k, d, p, s = pair(kernel_size), pair(dilation), pair(padding), pair(stride)
    _check("unfold", k, d, p, s)
    oh = _blocks(input.shape[2], k[0], d[0], p[0], s[0])
    ow = _blocks(input.shape[3], k[1], d[1], p[1], s[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"unfold: the input of spatial size {tuple(input.shape[2:])} (padding {p}) is smaller than "
            f"the dilated kernel {k} (dilation {d})"
        )
    return apply(IM2COL, input, kernel=k, dilation=d, padding=p, stride=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: adds columns (N, C*kh*kw, L) back into a (N, C, H, W)
    tensor, summing where blocks overlap."""
    if input.ndim != 3:
        raise NotImplementedError(f"fold: expected a 3-D (N, C*kh*kw, L) input, got {input.ndim}-D")
    size, k, d, p, s = (
        pair(output_size),
        pair(kernel_size),
        pair(dilation),
        pair(padding),
        pair(stride),
    )
    _check("fold", k, d, p, s)
    if input.shape[1] % (k[0] * k[1]):
        raise RuntimeError(
            f"fold: expected size of input's dimension 1 ({input.shape[1]}) to be divisible by the "
            f"product of kernel_size ({k[0] * k[1]})"
        )
    blocks = _blocks(size[0], k[0], d[0], p[0], s[0]) * _blocks(size[1], k[1], d[1], p[1], s[1])
    if input.shape[2] != blocks:
        raise RuntimeError(
            f"fold: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
            f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{blocks}, but got input.size(2)={input.shape[2]}."
        )
    return apply(COL2IM, input, output_size=size, kernel=k, dilation=d, padding=p, stride=s)
