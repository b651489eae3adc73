"""Pytrees: nested tuples, lists, dicts and namedtuples of tensors, flattened to a list.

The transforms take and return pytrees as torch.func does; they work on the flat list of
leaves and rebuild the structure at the end.
"""

from __future__ import annotations


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


# NOTE: [no recursive closures] The walks below are module functions that take the list they
# fill (or the iterator they read) as an argument. As nested functions calling themselves they
# were reference cycles (function -> its cell -> the function) holding every leaf: the
# tensors of every transform's inputs and outputs stayed alive until the garbage collector
# ran, and with it off (timeit turns it off while it times) vmap(grad(f)) over a conv net grew
# by the size of its per-sample gradients on every call, to an out-of-memory kill.
def tree_flatten(tree):
    """``(leaves, spec)``: the leaves in order, and what ``tree_unflatten`` needs to rebuild."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(node, leaves):
    if _is_namedtuple(node):
        return ("namedtuple", type(node), [_flatten(c, leaves) for c in node])
    if isinstance(node, (tuple, list)):
        return (type(node), None, [_flatten(c, leaves) for c in node])
    if isinstance(node, dict):
        keys = list(node)
        return (dict, keys, [_flatten(node[k], leaves) for k in keys])
    leaves.append(node)
    return None


def tree_unflatten(spec, leaves):
    """Rebuild a pytree from ``spec`` (as ``tree_flatten`` returned it) with ``leaves`` in its
    places."""
    return _build(spec, iter(leaves))


def _build(s, it):
    if s is None:
        return next(it)
    kind, extra, children = s
    built = [_build(c, it) for c in children]
    if kind == "namedtuple":
        return extra(*built)
    if kind is dict:
        return dict(zip(extra, built))
    return kind(built)


def tree_map(fn, tree):
    """The pytree ``tree`` with each leaf replaced by ``fn(leaf)`` (tuples, lists, dicts and
    namedtuples are walked)."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(spec, [fn(x) for x in leaves])
