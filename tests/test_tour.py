"""The tour (``python -m dualgrad.tour``): every check passes, the pictures are written, and it
degrades to NumPy only (no graphviz package, no ``dot``, no dualgrad.nn / dualgrad.func)."""

import io
import subprocess
import sys

import pytest

from dualgrad import tour

EXPECTED_PASSES = [
    "make_dual keeps a tangent of the primal's layout as it is",
    "make_dual copies a tangent of another layout (tangent.T)",
    "jvp of x**2 + y**2 along (t, 0) is 2·x·t",
    "the tangent is gone once the level is closed",
    "Fn's jvp is exp(x)·t",
    "gradcheck(Fn.apply, check_forward_ad=True)",
    "forward-over-reverse HVP (n=500) matches",
    "the double-vjp trick gives the same HVP",
    "reverse row loop (60 backward passes)",
    "forward column loop (40 dual passes) gives the same Jacobian",
    *[
        f"{name}: {what}"
        for name in ("Square", "Exp", "Sinh", "Cube")
        for what in ("gradcheck", "gradgradcheck", "grad_x's graph reaches x", "second derivative")
    ],
    "SinhBad: gradcheck",
    "SinhBad: gradgradcheck finds its wrong second derivative",
    "SinhBad: grad_x is cut off from x (no graph)",
]
PICTURES = [
    "forward_jvp",
    "forward_function",
    "hvp_forward_over_reverse",
    "hvp_double_vjp",
    "double_backward_square",
    "double_backward_exp",
    "double_backward_sinh",
    "double_backward_cube",
    "double_backward_sinhbad",
]


def run_tour(tmp_path, **kw):
    buf = io.StringIO()
    code = tour.run(tmp_path / "out", stream=buf, **kw)
    return code, buf.getvalue()


def pass_lines(text):
    return [
        line.strip()[len("PASS  ") :]
        for line in text.splitlines()
        if line.strip().startswith("PASS")
    ]


def assert_all_passed(code, text):
    assert code == 0, text
    assert "FAIL" not in text.replace("0 FAIL", ""), text
    passed = pass_lines(text)
    for expected in EXPECTED_PASSES:
        assert any(p.startswith(expected) for p in passed), (expected, text)
    for i in range(1, len(tour.STEPS) + 1):
        assert f"[{i}/{len(tour.STEPS)}]" in text  # a progress line per step


def test_tour_passes_and_writes_pictures(tmp_path):
    code, text = run_tour(tmp_path)
    assert_all_passed(code, text)
    out = tmp_path / "out"
    if tour.Pictures(out, tour.Report(io.StringIO())).mode == "render":
        for name in PICTURES:
            assert (out / f"{name}.svg").read_text().lstrip().startswith("<?xml")
            assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:  # no dot binary: DOT sources instead
        for name in PICTURES:
            assert (out / f"{name}.gv").read_text().startswith("digraph")
    if tour._optional("dualgrad.nn") is not None:
        assert "dual parameters set on the module and functional_call agree" in text
    if tour._optional("dualgrad.func") is not None:
        assert "dualgrad.func.jacrev gives the same Jacobian" in text


def test_tour_without_dot_writes_dot_sources(tmp_path, monkeypatch):
    import dualgrad.viz

    monkeypatch.setattr(dualgrad.viz, "dot_available", lambda: False)
    code, text = run_tour(tmp_path)
    assert_all_passed(code, text)
    assert "apt-get install graphviz" in text
    sources = sorted(p.stem for p in (tmp_path / "out").glob("*.gv"))
    assert set(PICTURES) <= set(sources)
    assert "double_backward_sinhbad" in sources
    text = (tmp_path / "out" / "double_backward_cube.gv").read_text()
    assert "CubeBackwardBackward" in text
    assert not list((tmp_path / "out").glob("*.svg"))


def test_tour_with_numpy_only(tmp_path, monkeypatch):
    """No graphviz package, no dualgrad.nn, no dualgrad.func: every check still runs."""
    monkeypatch.setitem(sys.modules, "graphviz", None)
    real = tour._optional
    monkeypatch.setattr(
        tour,
        "_optional",
        lambda name: None if name in ("dualgrad.nn", "dualgrad.func") else real(name),
    )
    code, text = run_tour(tmp_path)
    assert_all_passed(code, text)
    assert "pictures skipped: the graphviz Python package is not installed" in text
    assert "skipped: needs dualgrad.nn" in text
    assert "skipped jacrev/jacfwd: needs dualgrad.func" in text
    assert not (tmp_path / "out").exists()


def test_a_failing_check_or_step_gives_exit_code_1(tmp_path, monkeypatch):
    def failing(report, pictures):
        report.check("a check that fails", False, "on purpose")

    def raising(report, pictures):
        raise ValueError("boom")

    monkeypatch.setattr(tour, "STEPS", (("fails", failing), ("raises", raising)))
    code, text = run_tour(tmp_path, pictures=False)
    assert code == 1
    assert "FAIL  a check that fails  (on purpose)" in text
    assert "FAIL  step 'raises' ran to the end  (ValueError: boom)" in text
    assert "summary: 2 checks, 0 PASS, 2 FAIL" in text


def test_python_m_dualgrad_tour(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "dualgrad.tour", "--out", str(tmp_path / "o"), "--no-pictures"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "summary:" in proc.stdout and " 0 FAIL" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize("argv", [["--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        tour.main(argv)
    assert info.value.code == 0
    assert "--out" in capsys.readouterr().out
