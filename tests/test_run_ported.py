"""tools/run_ported.py: it runs the folder's scripts only (not its own edited .ported_ copies),
removes each copy after the run, keeps the recorded draws out of the scripts' folder, and leaves
timing lines, ratios of timings included, out of
the comparison."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "run_ported.py"


@pytest.fixture(scope="module")
def rp():
    spec = importlib.util.spec_from_file_location("run_ported", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dotfiles_are_not_scripts(rp, tmp_path):
    for name in ("a.py", "b.py", ".ported_a.py", ".hidden.py", "notes.txt"):
        (tmp_path / name).write_text("print(1)\n")
    assert [p.name for p in rp.scripts_in(tmp_path)] == ["a.py", "b.py"]


def test_the_edited_copy_is_removed(rp, tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("print('hello', 2 + 2)\n")
    draws = tmp_path / "elsewhere" / "draws.pkl"
    draws.parent.mkdir()
    for with_dualgrad in (False, True):  # (torch's run records the draws dualgrad's replays)
        done = rp.run(script, with_dualgrad=with_dualgrad, timeout=120, draws=draws)
        assert done.returncode == 0, done.stderr
        assert "hello 4" in done.stdout
        assert not (tmp_path / ".ported_hello.py").exists()
    assert [p.name for p in rp.scripts_in(tmp_path)] == ["hello.py"]


def test_main_leaves_only_the_scripts(rp, tmp_path, capsys):
    # a script that draws: torch's run records the draws, dualgrad's replays them, and the
    # record is gone afterwards (it used to stay beside the script as .draws_<name>.pkl)
    # (alpha dropout's masks too: tools/torch_draws.py records them where dualgrad draws them)
    (tmp_path / "draw.py").write_text(
        "import torch\nprint(torch.randn(3).sum().item())\n"
        "print(torch.nn.functional.alpha_dropout(torch.randn(50), 0.3, True).tolist())\n"
        "print(torch.nn.FeatureAlphaDropout(0.5)(torch.randn(4, 6, 2)).tolist())\n"
        # a factory that calls another inside dualgrad is one draw (rand_like calls rand), and
        # dualgrad's own modules' draws are replayed (sparse_ calls randperm)
        "print(torch.rand_like(torch.ones(5, 5)).tolist(), torch.randn_like(torch.ones(3)))\n"
        "print(torch.nn.init.sparse_(torch.empty(4, 3), 0.5).tolist())\n"
        "print(torch.poisson(torch.rand(4) * 5).tolist())\n"
    )
    assert rp.main([str(tmp_path)]) == 0
    assert "PASS  draw.py" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draw.py"]


@pytest.mark.parametrize(
    "line,timing",
    [
        ("Performance delta: 12.5 percent improvement with fused kernel", True),
        ("12.3 percent improvement", True),
        ("Performance delta: 0.93", True),
        ("took 1.5 ms", True),
        ("speedup 2.0x", True),
        ("eager is 1.4x faster than compiled", True),
        ("loss 0.25 at step 3", False),
        ("accuracy 97 percent", False),
    ],
)
def test_timing_lines_are_left_out(rp, line, timing):
    assert bool(rp._TIMING.search(line)) is timing
    # a timing line that differs does not fail the comparison; any other line does
    other = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), line)
    assert (rp.compare(line, other, 1e-4, 1e-4)[1] is None) is timing
