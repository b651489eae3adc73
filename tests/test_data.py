"""dualgrad.utils.data against torch.utils.data on the same datasets: batch shapes and
values without shuffling, drop_last, samplers, splits and the default collate of nested
samples. Shuffled orders come from dualgrad's streams, so only their properties compare."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import dualgrad
import dualgrad.utils.data as dud

Point = collections.namedtuple("Point", "x y")


def _plain(v):
    """A batch as plain Python/NumPy structure (for comparing the two libraries)."""
    if isinstance(v, (dualgrad.Tensor, torch.Tensor)):
        a = v._data if isinstance(v, dualgrad.Tensor) else v.numpy()
        return ("tensor", str(v.dtype).split(".")[-1], np.asarray(a).tolist())
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [_plain(x) for x in v])
    return v


def _datasets(m, ud):
    xs = np.arange(14, dtype=np.float32).reshape(7, 2)
    tds = ud.TensorDataset(m.tensor(xs), m.arange(7))

    class Nested(ud.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {
                "x": m.full((2,), float(i)),
                "pair": (i, float(i) / 2),
                "arr": np.full(3, i, dtype=np.float64),
                "name": f"s{i}",
                "point": Point(m.tensor([i]), [i, True]),
            }

    class Stream(ud.IterableDataset):
        def __iter__(self):
            return iter(m.tensor([float(i)]) for i in range(5))

        def __len__(self):
            return 5

    return {
        "tensor": tds,
        "nested": Nested(),
        "stream": Stream(),
        "subset": ud.Subset(tds, [6, 0, 3]),
        "concat": ud.ConcatDataset([tds, ud.Subset(tds, [1, 2])]),
        "list": [np.float64(i) for i in range(4)],
    }


LOADERS = {
    "bs1": dict(),
    "bs3": dict(batch_size=3),
    "bs3_drop": dict(batch_size=3, drop_last=True),
    "no_batch": dict(batch_size=None),
    "collate_fn": dict(batch_size=2, collate_fn=lambda b: len(b)),
    "workers": dict(batch_size=2, num_workers=2),
}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("name", ["tensor", "nested", "stream", "subset", "concat", "list"])
def test_loader_matches_torch(name, loader):
    kw = LOADERS[loader]
    if name == "stream" and loader == "workers":
        # torch's workers each replay an IterableDataset (NOTE: [in-process workers])
        kw = dict(kw, num_workers=0)
    ours = dud.DataLoader(_datasets(dualgrad, dud)[name], **kw)
    ref = tud.DataLoader(_datasets(torch, tud)[name], **kw)
    assert len(ours) == len(ref)
    assert [_plain(b) for b in ours] == [_plain(b) for b in ref]


def test_datasets_and_samplers():
    for m, ud in ((dualgrad, dud), (torch, tud)):
        ds = _datasets(m, ud)
        assert len(ds["concat"]) == 9 and int(ds["concat"][-1][1]) == 2
        assert int(ds["concat"][7][1]) == 1
        assert list(ud.SequentialSampler(range(4))) == [0, 1, 2, 3]
        bs = list(ud.BatchSampler(ud.SequentialSampler(range(7)), 3, False))
        assert bs == [[0, 1, 2], [3, 4, 5], [6]]
        assert len(ud.BatchSampler(range(7), 3, True)) == 2
        g = m.Generator().manual_seed(0)
        perm = list(ud.RandomSampler(range(10), generator=g))
        assert sorted(perm) == list(range(10))
        assert list(ud.RandomSampler(range(10), generator=m.Generator().manual_seed(0))) == perm
        repl = list(ud.RandomSampler(range(3), replacement=True, num_samples=50))
        assert len(repl) == 50 and set(repl) <= {0, 1, 2}
        assert len(list(ud.RandomSampler(range(4), num_samples=10))) == 10
        assert sorted(ud.SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
        parts = ud.random_split(range(10), [3, 7], generator=m.Generator().manual_seed(1))
        assert [len(p) for p in parts] == [3, 7]
        assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
        again = ud.random_split(range(10), [3, 7], generator=m.Generator().manual_seed(1))
        assert list(again[0]) == list(parts[0])
        assert [len(p) for p in ud.random_split(range(10), [0.25, 0.25, 0.5])] == [3, 2, 5]
        g = m.Generator().manual_seed(2)
        loader = ud.DataLoader(ds["tensor"], batch_size=3, shuffle=True, generator=g)
        seen = [b[1] for b in loader]
        assert [len(s) for s in seen] == [3, 3, 1]
        assert sorted(sum((s.tolist() for s in seen), [])) == list(range(7))
        g.manual_seed(2)
        assert [s.tolist() for s in (b[1] for b in loader)] == [s.tolist() for s in seen]


ERRORS = {
    "sampler_shuffle": lambda m, ud: ud.DataLoader(range(3), sampler=[0, 1], shuffle=True),
    "batch_sampler": lambda m, ud: ud.DataLoader(range(3), batch_sampler=[[0]], batch_size=2),
    "iterable_shuffle": lambda m, ud: ud.DataLoader(_datasets(m, ud)["stream"], shuffle=True),
    "no_batch_drop": lambda m, ud: ud.DataLoader(range(3), batch_size=None, drop_last=True),
    "workers": lambda m, ud: ud.DataLoader(range(3), num_workers=-1),
    "batch_size": lambda m, ud: ud.BatchSampler(range(3), 0, False),
    "tensor_sizes": lambda m, ud: ud.TensorDataset(m.zeros(2), m.zeros(3)),
    "split_sum": lambda m, ud: ud.random_split(range(4), [1, 2]),
    "collate_sizes": lambda m, ud: list(ud.DataLoader([[1, 2], [1]], batch_size=2)),
    "collate_type": lambda m, ud: list(ud.DataLoader([object(), object()], batch_size=2)),
    "num_samples": lambda m, ud: ud.RandomSampler(range(3), num_samples=0),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_as_torch(name):
    with pytest.raises(Exception) as ref:
        ERRORS[name](torch, tud)
    with pytest.raises(type(ref.value)) as ours:
        ERRORS[name](dualgrad, dud)
    phrase = str(ref.value).split(";")[0].split(" <class")[0]
    assert phrase in str(ours.value)
