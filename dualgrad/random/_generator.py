"""Random generators: ``Generator``, the global ``default_generator`` and its functions
(``manual_seed``, ``seed``, ``initial_seed``, ``get_rng_state``, ``set_rng_state``).

# NOTE: [dualgrad's random streams]
A Generator holds a NumPy ``PCG64`` bit generator, so the same seed gives the same stream on
every run and platform, but not torch's stream (torch uses a Mersenne twister and its own
sampling kernels): seeded programs repeat themselves, not torch's numbers. Its state, as
torch's, is a flat tensor of bytes (``get_state``/``set_state``): PCG64's 128-bit state and
increment, its buffered 32-bit half-word, and the initial seed, as a uint8 tensor (torch's
ByteTensor); ``set_state`` takes only a tensor that ``get_state`` could have given (any integer
tensor of those byte values).

The default generator's NumPy generator is one object for the life of the process
(``manual_seed`` re-seeds it in place), because vmap's randomness='same' saves and restores
its ``bit_generator.state`` (func/_transforms.py).
"""

from __future__ import annotations

import contextlib
import operator

import numpy as np

from .._tensor import Tensor

_DEFAULT_SEED = 67280421310721  # torch's seed of a new Generator
_STATE_BYTES = 16 + 16 + 1 + 4 + 8  # state, inc, has_uint32, uinteger, initial seed


class Generator:
    """A random stream for ``generator=`` arguments (torch.Generator). CPU only.

    >>> import dualgrad as torch
    >>> g = torch.Generator().manual_seed(0)
    >>> a = torch.rand(3, generator=g)
    >>> g.manual_seed(0) is g and a.tolist() == torch.rand(3, generator=g).tolist()
    True
    """

    def __init__(self, device="cpu"):
        if str(device).split(":")[0] != "cpu":
            raise RuntimeError(
                f"Generator: dualgrad runs on the CPU only; cannot make a generator on '{device}'"
            )
        self._np = np.random.Generator(np.random.PCG64(_DEFAULT_SEED))
        self._initial_seed = _DEFAULT_SEED

    @property
    def device(self):
        return "cpu"

    def manual_seed(self, seed) -> Generator:
        """Re-seed this generator (any int in [-2**63, 2**64), as torch) and return it."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = operator.index(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        seed %= 2**64  # torch reads a negative seed as its unsigned 64-bit pattern
        self._np.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Re-seed from the operating system's entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self) -> Tensor:
        """This generator's state as a flat tensor of bytes (NOTE: [dualgrad's random streams])."""
        st = self._np.bit_generator.state
        parts = (
            st["state"]["state"].to_bytes(16, "little"),
            st["state"]["inc"].to_bytes(16, "little"),
            bytes([st["has_uint32"]]),
            st["uinteger"].to_bytes(4, "little"),
            self._initial_seed.to_bytes(8, "little"),
        )
        return Tensor._make(np.frombuffer(b"".join(parts), np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state``; the stream goes on from where it was then."""
        if not isinstance(new_state, Tensor) or new_state._data.dtype.kind not in "iu":
            raise TypeError(
                "RNG state must be a torch.ByteTensor (dualgrad: a tensor from get_state())"
            )
        data = np.asarray(new_state._data).reshape(-1)
        if data.size != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a dualgrad generator state of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {data.size} (a state of torch's own generator does not fit "
                "dualgrad's)"
            )
        if data.min() < 0 or data.max() > 255:
            raise RuntimeError("set_state: a generator state holds bytes, values in [0, 255]")
        raw = data.astype(np.uint8).tobytes()
        self._np.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[0:16], "little"),
                "inc": int.from_bytes(raw[16:32], "little"),
            },
            "has_uint32": raw[32],
            "uinteger": int.from_bytes(raw[33:37], "little"),
        }
        self._initial_seed = int.from_bytes(raw[37:45], "little")
        return self

    def __repr__(self):
        return f"<dualgrad.Generator object at {hex(id(self))}>"


default_generator = Generator()
default_generator.seed()  # as torch's: a new process draws new numbers until seeded


def numpy_rng(generator, op: str) -> np.random.Generator:
    """The NumPy generator behind ``generator=`` of ``op`` (None: the default generator)."""
    if generator is None:
        return default_generator._np
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{op}(): argument 'generator' must be torch.Generator, not {type(generator).__name__}"
        )
    return generator._np


def manual_seed(seed) -> Generator:
    """Seed the default generator (behind every random op without ``generator=``); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's last seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state (``Generator.get_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state from ``get_rng_state``."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Restore the default generator's state on leaving the block (torch.random.fork_rng)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
