"""Implementation modules of dualgrad.utils.benchmark, laid out as torch's
(``torch.utils.benchmark.utils.common`` and friends), so code importing those paths runs."""
