"""Small names real scripts use, against torch: Size arithmetic and slicing keep a Size,
broadcast_shapes / broadcast_tensors, the shift operators and bitwise_*_shift."""

from __future__ import annotations

import pytest
import torch

import dualgrad as dg

LIBS = (dg, torch)


def _outcome(fn, m):
    try:
        r = fn(m)
    except Exception as e:
        return ("raise", type(e).__name__, str(e).replace("torch.", "dualgrad."))
    if isinstance(r, (dg.Tensor, torch.Tensor)):
        return ("tensor", str(r.dtype).split(".")[-1], r.tolist())
    if isinstance(r, tuple) and r and isinstance(r[0], (dg.Tensor, torch.Tensor)):
        return ("tensors", [(tuple(t.shape), t.tolist()) for t in r])
    return ("value", type(r).__name__, repr(r).replace("torch.", "dualgrad."))


CASES = {
    "size + size": lambda m: m.Size([2, 3]) + m.Size([4]),
    "size + tuple": lambda m: m.Size([2, 3]) + (4,),
    "tuple + size": lambda m: (4,) + m.Size([2, 3]),
    "size * 2": lambda m: m.Size([2, 3]) * 2,
    "2 * size": lambda m: 2 * m.Size([2, 3]),
    "size slice": lambda m: m.Size([2, 3, 4])[1:],
    "size item": lambda m: m.Size([2, 3, 4])[-1],
    "shape + tuple": lambda m: m.ones(2, 3).shape + (1,),
    "size + list": lambda m: m.Size([2]) + [1],
    "size eq": lambda m: m.Size([2, 3]) == (2, 3),
    "broadcast_shapes": lambda m: m.broadcast_shapes((2, 1), (3,), 1),
    "broadcast_shapes ints": lambda m: m.broadcast_shapes(5, (5, 1)),
    "broadcast_shapes empty": lambda m: m.broadcast_shapes(),
    "broadcast_shapes zero": lambda m: m.broadcast_shapes((0,), (1,)),
    "broadcast_shapes mismatch": lambda m: m.broadcast_shapes((2, 1), (1, 3, 1)),
    "broadcast_shapes negative": lambda m: m.broadcast_shapes((-1,)),
    "broadcast_shapes bad": lambda m: m.broadcast_shapes(1.5),
    "broadcast_tensors": lambda m: m.broadcast_tensors(m.tensor([[1.0], [2.0]]), m.tensor([3.0, 4.0, 5.0])),
    "broadcast_tensors list": lambda m: m.broadcast_tensors(m.ones(1), m.zeros(2, 1), m.ones(3)),
    "broadcast_tensors mismatch": lambda m: m.broadcast_tensors(m.ones(2, 3), m.ones(4, 1, 1), m.ones(5, 1, 3)),
    "lshift": lambda m: m.tensor([1, 2, -8], dtype=m.int32) << 2,
    "rshift": lambda m: m.tensor([1, 2, -8], dtype=m.int32) >> 1,
    "lshift tensor": lambda m: m.tensor([1, 2, -8], dtype=m.int32) << m.tensor([1, 2, 3]),
    "rlshift": lambda m: 1 << m.tensor([1, 2, 3]),
    "rrshift": lambda m: 64 >> m.tensor([1, 2, 3]),
    "lshift past width": lambda m: m.tensor([1, 2, -8], dtype=m.int32) << 40,
    "rshift past width": lambda m: m.tensor([1, 2, -8]) >> 70,
    "lshift negative": lambda m: m.tensor([1, 2, -8], dtype=m.int32) << -1,
    "lshift uint8 wraps": lambda m: m.tensor([3], dtype=m.uint8) << 7,
    "lshift bool": lambda m: m.tensor([True, False]) << 1,
    "lshift int8 by int8": lambda m: m.bitwise_left_shift(m.tensor([3], dtype=m.int8), m.tensor([2], dtype=m.int8)),
    "right_shift function": lambda m: m.bitwise_right_shift(m.tensor([-9, 9]), m.tensor(1, dtype=m.int8)),
    "shift method": lambda m: m.tensor([5, 6]).bitwise_left_shift(2),
    "shift in place": lambda m: m.tensor([5, 6]).bitwise_right_shift_(1),
    "lshift float": lambda m: m.tensor([1.5]) << 1,
    "rshift float": lambda m: m.tensor([1.5]) >> 1,
    "float lshift": lambda m: 2.5 << m.tensor([1]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_as_torch(name):
    assert _outcome(CASES[name], dg) == _outcome(CASES[name], torch)


def test_shift_operators_in_place_keep_the_object():
    for lib in LIBS:
        x = lib.tensor([4, 8])
        y = x
        x <<= 1
        x >>= 2
        assert x is y and x.tolist() == [2, 4]


def test_broadcast_tensors_are_differentiable_views():
    grads = []
    for lib in LIBS:
        x = lib.tensor([[1.0], [2.0]], requires_grad=True)
        a, b = lib.broadcast_tensors(x, lib.ones(3))
        (a * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [[6.0], [6.0]]
    assert dg.func.vmap(lambda t: dg.broadcast_tensors(t, dg.ones(2, 1))[0])(
        dg.ones(4, 3)
    ).shape == (4, 2, 3)
