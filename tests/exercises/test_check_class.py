"""``verigrad check FOLDER``: a class's submissions at once. Every file gets one result (the
JSON ``verigrad check FILE --json`` writes) whatever it does, the summary counts each
function's verdicts across the class, and a usage error is exit 2."""
import contextlib
import csv
import io
import json

import pytest

from verigrad.cli import main
from verigrad.exercises import batch, class_summary

from .classroom import FUNCTIONS, write_class

TIMEOUT = "8"


@pytest.fixture(scope="module")
def checked_class(tmp_path_factory):
    """The fixture class checked once, two files at a time: (folder, results, exit status,
    printed summary)."""
    root = tmp_path_factory.mktemp("class")
    folder, results = root / "submissions", root / "results"
    kinds = write_class(folder)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["check", str(folder), "--json-dir", str(results), "--timeout", TIMEOUT,
                     "--jobs", "2"])
    return folder, results, kinds, code, printed.getvalue()


def test_every_submission_gets_one_result_keyed_by_its_path(checked_class):
    folder, results, kinds, code, _ = checked_class
    assert code == 1  # wrong functions, and files that could not be run
    written = {p.relative_to(results).as_posix() for p in results.rglob("*.json")}
    assert written == {f"{key}.json" for key in kinds} | {"summary.json"}
    for key in kinds:
        result = json.loads(batch.result_path(results, key).read_text())
        assert result["submission"] == key and "tests" in result and result["seconds"] > 0
    correct = json.loads((results / "correct.ipynb.json").read_text())
    assert correct["exit_code"] == 0 and correct["score"] == correct["max_score"] == 4
    assert [f["name"] for f in correct["functions"]] == list(FUNCTIONS)


def test_a_result_is_what_verigrad_check_file_json_writes(checked_class, tmp_path, capsys):
    folder, results, *_ = checked_class
    alone = tmp_path / "alone.json"
    assert main(["check", str(folder / "wrong.py"), "--json", str(alone)]) == 1
    capsys.readouterr()
    expected = json.loads(alone.read_text())
    found = json.loads((results / "wrong.py.json").read_text())
    assert {k: v for k, v in found.items() if k not in ("submission", "seconds")} == expected


def test_the_summary_counts_each_functions_verdicts_and_names_the_files_not_run(checked_class):
    _, results, kinds, _, printed = checked_class
    summary = json.loads((results / "summary.json").read_text())
    assert summary["files"] == len(kinds) == 6 and summary["exit_code"] == 1
    functions = {row["function"]: row for row in summary["functions"]}
    assert list(functions) == list(FUNCTIONS)
    # checked: correct.ipynb, wrong.py, alice/week4.ipynb, the stub (not done) and
    # hangs.ipynb (its endless statement stopped, the functions checked); broken.py does
    # not parse
    linear = functions["linear_backward"]
    assert (linear["right"], linear["wrong"], linear["not_done"]) == (2, 2, 1)
    assert linear["findings"] == [{"finding": "scale (W)", "files": 2}]
    assert functions["relu_backward"]["findings"] == [{"finding": "mask (x)", "files": 1}]
    not_run = {f["file"]: f["error"] for f in summary["not_run"]}
    assert list(not_run) == ["broken.py"] and "does not parse" in not_run["broken.py"]
    hangs = json.loads((results / "hangs.ipynb.json").read_text())
    assert any("was stopped" in note for note in hangs["notes"])
    assert summary["all_right"] == 2 and summary["findings"][0] == {
        "function": "linear_backward", "finding": "scale (W)", "files": 2}
    table = printed.split("\n\n")[1].splitlines()
    rows = {line.split()[0]: line.split(maxsplit=6) for line in table[1:]}
    assert rows["linear_backward"][1:6] == [str(linear["files"]), "2", "2",
                                            str(linear["not_done"]), "0"]
    assert rows["linear_backward"][6] == "scale (W) ×2"
    assert "broken.py: broken.py, line 4 does not parse" in printed


def test_the_grade_sheet_has_a_row_per_submission_and_a_column_per_function(checked_class):
    _, results, kinds, _, _ = checked_class
    with open(results / "scores.csv", newline="", encoding="utf-8") as file:
        rows = {row["file"]: row for row in csv.DictReader(file)}
    assert set(rows) == set(kinds)
    assert rows["correct.ipynb"]["score"] == "4" and rows["correct.ipynb"]["status"] == "checked"
    assert rows["wrong.py"]["linear_backward"] == "wrong"
    assert rows["wrong.py"]["relu_forward"] == "right" and rows["wrong.py"]["score"] == "2"
    assert rows["broken.py"]["status"] == "not run" and "parse" in rows["broken.py"]["error"]
    with open(results / "summary.csv", newline="", encoding="utf-8") as file:
        per_function = {row["function"]: row for row in csv.DictReader(file)}
    assert per_function["linear_backward"]["most common findings"] == "scale (W) ×2"


def test_all_right_is_exit_0_and_without_json_dir_only_the_summary_is_printed(tmp_path,
                                                                              capsys):
    write_class(tmp_path, hang=False)
    assert main(["check", str(tmp_path), "--pattern", "correct*", "--timeout", "30"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"1 submission(s) in {tmp_path}: 1 checked, 1 all right")
    assert list(tmp_path.rglob("*.json")) == []


def test_summary_of_verdicts_it_reads(tmp_path):
    """Results as checker versions write them: a NOT DONE verdict (or a first finding
    not_implemented) is "not done", ok None "cannot check"; a missing result is not run."""
    def function(name, ok, verdict, kind=None):
        return {"name": name, "ok": ok, "verdict": verdict,
                "findings": [{"kind": kind, "param": None, "message": ""}] if kind else []}
    done = {"file": "a.py", "exit_code": 1, "functions": [
        function("f", False, "NOT DONE", "not_implemented"), function("g", None,
                                                                     "cannot check",
                                                                     "environment")]}
    older = {"file": "b.py", "exit_code": 1, "functions": [
        function("f", False, "WRONG", "not_implemented"), function("g", True, "ok")]}
    for key, result in (("a.py", done), ("b.py", older)):
        batch.result_path(tmp_path, key).write_text(json.dumps(result))
    summary = class_summary.summarize(class_summary.load(tmp_path, ["a.py", "b.py", "c.py"]))
    rows = {row["function"]: row for row in summary["functions"]}
    assert (rows["f"]["not_done"], rows["f"]["wrong"], rows["f"]["findings"]) == (2, 0, [])
    assert (rows["g"]["cannot_check"], rows["g"]["right"]) == (1, 1)
    assert rows["g"]["findings"] == [{"finding": "environment", "files": 1}]
    assert summary["not_run"] == [{"file": "c.py",
                                   "error": "no result was written (FileNotFoundError)"}]
    assert summary["exit_code"] == 1 and summary["all_right"] == 0


def verdicts(results, keys):
    """Per file: its error's first words, or each function's (name, category, finding)."""
    found = {}
    for key in keys:
        result = json.loads(batch.result_path(results, key).read_text())
        found[key] = result["error"].split(":")[0] if "error" in result else [
            (f["name"], class_summary.category(f), class_summary.finding_label(f))
            for f in result["functions"]]
    return found


def test_a_second_run_two_files_at_a_time_gives_the_same_verdicts(checked_class, tmp_path):
    # the verdicts must not depend on the machine's load or on which files run together
    folder, results, kinds, *_ = checked_class
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["check", str(folder), "--json-dir", str(tmp_path), "--timeout",
                     TIMEOUT, "--jobs", "2"]) == 1
    first, second = verdicts(results, kinds), verdicts(tmp_path, kinds)
    assert second == first
    assert first["broken.py"] == "broken.py, line 4 does not parse"
    # the endless statement is stopped, and the functions after it checked
    assert [v[1] for v in first["hangs.ipynb"]] == ["right"] * 4


def test_a_file_gone_from_the_worker_is_a_result_not_an_error(tmp_path):
    result = batch.check_one(tmp_path / "gone.ipynb", timeout=5)
    assert result["exit_code"] == 2 and "at the same path" in result["error"]


def test_a_check_past_its_process_limit_is_stopped(tmp_path, monkeypatch):
    # the check's own time limit ends a hanging file; this is the limit above it
    monkeypatch.setattr(batch, "process_limit", lambda timeout: 1.0)
    (tmp_path / "slow.py").write_text("import time\n\nx = time.sleep(60)\n")
    result = batch.check_one(tmp_path / "slow.py", timeout=60)
    assert result["exit_code"] == 2 and "did not end within 1 s" in result["error"]
    assert result["seconds"] < 30


@pytest.mark.parametrize("extra, message", [
    (["--json", "out.json"], "give --json-dir"),
    (["--jobs", "2", "--dask", "tcp://127.0.0.1:1"], "--jobs applies on this machine"),
    (["--pattern", "*.txt"], "no .ipynb or .py file"),
])
def test_usage_errors_on_a_folder_exit_2(tmp_path, capsys, extra, message):
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_folder_options_on_a_file_exit_2(tmp_path, capsys):
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path / "a.py"), "--json-dir", str(tmp_path)]) == 2
    assert "--json-dir apply only when FILE is a folder" in capsys.readouterr().err


def test_submissions_leave_out_checkpoints_hidden_files_and_the_results(tmp_path):
    write_class(tmp_path, hang=False)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "old.py").write_text("x = 1\n")
    found = [batch.submission_key(tmp_path, p)
             for p in batch.submissions(tmp_path, exclude=tmp_path / "results")]
    assert found == ["alice/week4.ipynb", "broken.py", "correct.ipynb", "stub.ipynb",
                     "wrong.py"]
    assert batch.result_path(tmp_path, "alice/week4.ipynb") == (
        tmp_path / "alice" / "week4.ipynb.json")
