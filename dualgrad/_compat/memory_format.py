"""torch's memory formats: ``contiguous_format``, ``preserve_format``, ``channels_last``,
``channels_last_3d``, and the ``memory_format=`` argument of ``contiguous``/``clone``.

# NOTE: [memory formats] dualgrad's results are row-major (C order) wherever torch's
contiguous_format results are, and ops do not carry a channels-last layout along as torch's
do; so it takes ``contiguous_format`` and ``preserve_format`` (the same, for its layouts) and
refuses ``channels_last`` by name rather than give strides that differ from torch's
(docs/differences.md).
"""

from __future__ import annotations


class memory_format:
    """A memory layout torch can give a tensor (``dualgrad.contiguous_format``, ...)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"dualgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
_ROW_MAJOR = (contiguous_format, preserve_format)


def _by_name(name: str) -> memory_format:
    return {
        f.name: f for f in (contiguous_format, preserve_format, channels_last, channels_last_3d)
    }[name]


def check(fmt, where: str) -> None:
    """Accept the row-major formats; refuse the others by name (NOTE: [memory formats])."""
    if fmt in _ROW_MAJOR:
        return
    if isinstance(fmt, memory_format):
        raise NotImplementedError(
            f"{where}(memory_format={fmt!r}): dualgrad keeps row-major (contiguous_format) "
            "layouts only; drop the argument (values are the same)"
        )
    raise TypeError(
        f"{where}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}"
    )
