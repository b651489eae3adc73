"""Pytrees: nested tuples, lists, dicts and namedtuples of tensors, flattened to a list.

The transforms take and return pytrees as torch.func does; they work on the flat list of
leaves and rebuild the structure at the end.
"""

from __future__ import annotations


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves in order, and what ``tree_unflatten`` needs to rebuild."""
    leaves: list = []

    def walk(node):
        if _is_namedtuple(node):
            return ("namedtuple", type(node), [walk(c) for c in node])
        if isinstance(node, (tuple, list)):
            return (type(node), None, [walk(c) for c in node])
        if isinstance(node, dict):
            keys = list(node)
            return (dict, keys, [walk(node[k]) for k in keys])
        leaves.append(node)
        return None

    return leaves, walk(tree)


def tree_unflatten(spec, leaves):
    """Rebuild a pytree from ``spec`` (as ``tree_flatten`` returned it) with ``leaves`` in its
    places."""
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, extra, children = s
        built = [build(c) for c in children]
        if kind == "namedtuple":
            return extra(*built)
        if kind is dict:
            return dict(zip(extra, built))
        return kind(built)

    return build(spec)


def tree_map(fn, tree):
    """The pytree ``tree`` with each leaf replaced by ``fn(leaf)`` (tuples, lists, dicts and
    namedtuples are walked)."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(spec, [fn(x) for x in leaves])
