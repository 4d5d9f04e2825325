"""verigrad check on a makemore-part-4-style notebook (fixture written in tests/pytorch/
makemore_notebook.py, names generated): solved, and with one mistake each."""
import json
import subprocess
import sys

import pytest

pytest.importorskip("torch")

import makemore_notebook as fixture  # noqa: E402

from verigrad.pytorch import makemore  # noqa: E402


def test_solved_notebook_is_right_and_the_loop_runs_one_step(tmp_path):
    payload = makemore.check_notebook(fixture.write(tmp_path), timeout=120)
    assert payload["error"] is None, payload["notes"]
    rows = payload["results"]
    assert [r["verdict"] for r in rows if not r["ok"]] == []
    assert len(rows) == 26 + 7
    step = [r["name"] for r in rows if r["section"] == "training step"]
    assert step == ["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"]
    assert makemore.exit_code(payload) == 0


@pytest.mark.parametrize("kind", sorted(fixture.MISTAKES))
def test_one_mistake_is_named_at_its_tensor(tmp_path, kind):
    tensor = fixture.MISTAKES[kind][0]
    payload = makemore.check_notebook(fixture.write(tmp_path, [kind]), timeout=120)
    rows = [r for r in payload["results"] if r["section"] != "training step"]
    first = makemore.first_wrong(payload)
    assert rows[first]["name"] == tensor and rows[first]["kind"] == kind
    assert all(r["ok"] for r in rows[:first])
    wrong_line = fixture.MISTAKES[kind][2].strip()
    if wrong_line:  # (a missing second path deletes a line: the line shown is the other one)
        assert rows[first]["code"].startswith(wrong_line.splitlines()[0])
    assert makemore.exit_code(payload) == 1
    text = makemore.table(payload)
    assert "<- first wrong" in text and f"d{tensor}: every later" in text


def test_cli_without_names_says_what_to_put_beside_it(tmp_path):
    path = fixture.write(tmp_path, with_names=False)
    out = subprocess.run([sys.executable, "-m", "verigrad.cli", "check", str(path), "--json",
                          str(tmp_path / "r.json")], capture_output=True, text=True)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "names.txt" in out.stderr
    assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == 2
