"""Stochastic weight averaging (torch.optim.swa_utils): ``AveragedModel`` keeps a running
average (equal weights, or an exponential one) of a model's parameters, ``SWALR`` anneals the
rates to a constant SWA rate, and ``update_bn`` recomputes batch-norm statistics for the
averaged weights with one pass over the data.

>>> import dualgrad as dg
>>> model = dg.nn.Linear(1, 1)
>>> swa = dg.optim.swa_utils.AveragedModel(model)
>>> swa.update_parameters(model)
>>> int(swa.n_averaged)
1
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy

from .. import _factories
from .._grad_mode import no_grad
from ..nn.module import Module
from .lr_scheduler import LRScheduler, _per_group

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place update of a list of averages: ``ema += (1 - decay) * (current - ema)``."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for ema, cur in zip(ema_param_list, current_param_list):
                if ema.is_floating_point():
                    ema.lerp_(cur, 1 - decay)
                else:
                    ema.copy_(ema * decay + cur * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place update of a list of equal-weight averages over ``num_averaged`` models."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            for avg, cur in zip(averaged_param_list, current_param_list):
                if avg.is_floating_point():
                    avg.lerp_(cur, float(1 / (num_averaged + 1)))
                else:
                    avg.add_((cur - avg) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``decay * ema + (1 - decay) * current``, for ``AveragedModel(avg_fn=...)``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """The equal-weight running mean, for ``AveragedModel(avg_fn=...)``."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and buffers, with ``use_buffers``) are the running
    average of the models given to ``update_parameters``: equal weights by default, or
    ``avg_fn`` / ``multi_avg_fn`` (e.g. ``get_ema_multi_avg_fn(0.99)``). The first update copies
    the model; ``forward`` runs the copy."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _factories.tensor(0, device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s parameters into this one's (copies them on the first call)."""

        def tensors(m, own):
            if self.use_buffers:
                return itertools.chain(m.parameters(), m.buffers())
            return self.parameters() if own else m.parameters()

        ours, theirs = [], []
        first = int(self.n_averaged) == 0
        for p_avg, p_model in zip(tensors(self.module, True), tensors(model, False)):
            ours.append(p_avg.detach())
            theirs.append(p_model.detach())
            if first:
                p_avg.detach().copy_(p_model.detach())
        if not first:
            n = self.n_averaged
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(ours, theirs, n)
            else:
                # torch on CPU (no foreach kernels) divides by n + 1 per tensor: exact in
                # float64, where the multi-tensor lerp's weight is a float32 1 / (n + 1)
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for p_avg, p_model in zip(ours, theirs):
                    p_avg.copy_(avg_fn(p_avg, p_model, n))
        if not self.use_buffers:
            with no_grad():
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach())
        with no_grad():
            self.n_averaged += 1


def update_bn(loader, model, device=None):
    """Recompute the running statistics of ``model``'s batch norms with one pass over
    ``loader`` (a cumulative average: momentum None), as after averaging weights; the first
    element of a (list, tuple) batch is the input."""
    from ..nn.modules.normalization import _BatchNorm, _InstanceNorm

    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's rate to ``swa_lr`` over ``anneal_epochs`` ('cos' or 'linear'),
    then holds it, as torch's SWALR.

    >>> import dualgrad as dg
    >>> opt = dg.optim.SGD([dg.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = dg.optim.swa_utils.SWALR(opt, swa_lr=0.5, anneal_epochs=2, anneal_strategy="linear")
    >>> [sched.get_last_lr()[0] for _ in range(3) if sched.step() is None]
    [0.75, 0.5, 0.5]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        # torch's recurrence: recover the rate before annealing from the current one
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
