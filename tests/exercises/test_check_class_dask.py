"""``verigrad check FOLDER --dask ADDRESS``: the submissions checked as tasks of a Dask
cluster (each task runs the file's ``verigrad check`` process on its worker), the same
results as on one machine, and a worker killed in the middle of the run loses no file and
counts none twice: the scheduler runs its task again, and the result is written once, whole,
by the client."""
import json
import logging
import os

import pytest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from verigrad.cli import main  # noqa: E402
from verigrad.exercises import batch  # noqa: E402

from .classroom import cells, no_m, write_file, write_notebook  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, each under a nanny that restarts it."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        yield cluster, client


def killer(ticket, workers):
    """A correct submission whose first run ends the Dask worker running its check, as a
    crash or an out-of-memory kill would: its code (a simple assignment, which the check
    runs) kills the grandparent of the learner's process -- the worker, whose task started
    ``verigrad check``, which started the learner's process -- once, and only if it is one
    of ``workers``."""
    return ["import os, pathlib, signal\nimport psutil\n",
            f"_ = os.path.exists({str(ticket)!r}) or pathlib.Path({str(ticket)!r}).touch() or "
            f"(psutil.Process(os.getppid()).ppid() in {sorted(workers)!r} and "
            f"os.kill(psutil.Process(os.getppid()).ppid(), signal.SIGKILL))\n",
            *cells()]


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(cluster, tmp_path, capsys):
    local, client = cluster
    pids_before = set(client.run(os.getpid).values())
    folder, results, ticket = tmp_path / "class", tmp_path / "results", tmp_path / "ticket"
    write_notebook(folder / "correct.ipynb", cells())
    write_file(folder / "wrong.py", cells({"linear_backward": no_m()}))
    write_file(folder / "broken.py", ["def linear_forward(A, W, b)\n    return A\n"])
    write_notebook(folder / "killer.ipynb", killer(ticket, pids_before))
    code = main(["check", str(folder), "--json-dir", str(results), "--timeout", "20",
                 "--dask", local.scheduler_address])
    printed = capsys.readouterr()
    assert code == 1
    assert ticket.exists(), "the killer's check never ran"
    # the nanny started a new worker in place of the killed one
    client.wait_for_workers(2, timeout=60)
    pids_after = set(client.run(os.getpid).values())
    assert len(pids_before & pids_after) == 1 and len(pids_after) == 2

    keys = ["broken.py", "correct.ipynb", "killer.ipynb", "wrong.py"]
    written = sorted(p.relative_to(results).as_posix() for p in results.rglob("*.json"))
    assert written == sorted([f"{k}.json" for k in keys] + ["summary.json"])
    assert not [p for p in results.iterdir() if p.name.endswith(".part")]
    killed = json.loads(batch.result_path(results, "killer.ipynb").read_text())
    assert killed["exit_code"] == 0 and killed["score"] == killed["max_score"] == 4
    summary = json.loads((results / "summary.json").read_text())
    assert summary["files"] == 4 and summary["checked"] == 3 and summary["all_right"] == 2
    rows = {row["function"]: row for row in summary["functions"]}
    # each checked file counted once: correct, wrong and the killer's run again
    assert (rows["linear_backward"]["files"], rows["linear_backward"]["right"],
            rows["linear_backward"]["wrong"]) == (3, 2, 1)
    assert rows["linear_forward"] == {**rows["linear_forward"], "files": 3, "right": 3}
    assert [f["file"] for f in summary["not_run"]] == ["broken.py"]
    # one progress line per file, each file once
    progress = [line.split()[1] for line in printed.err.splitlines() if line.startswith("[")]
    assert sorted(progress) == [f"{k}:" for k in keys]


def test_an_unreachable_scheduler_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "CONNECT_TIMEOUT", 2)
    write_notebook(tmp_path / "a.ipynb", cells())
    assert main(["check", str(tmp_path), "--dask", "tcp://127.0.0.1:9"]) == 2
    assert "--dask tcp://127.0.0.1:9: cannot reach the scheduler" in capsys.readouterr().err
