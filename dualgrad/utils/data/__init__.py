"""dualgrad.utils.data: datasets, samplers and ``DataLoader``, as torch.utils.data."""

from . import distributed  # noqa: F401

from .dataloader import DataLoader, default_collate, get_worker_info  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
from .dataset import (  # noqa: F401
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (  # noqa: F401
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)
