"""Check a class's submissions at once: ``verigrad check submissions/ --json-dir results/``.

Every notebook and ``.py`` file under the folder is checked by its own ``verigrad check FILE
--json OUT --timeout T`` process, so that a learner's file that crashes, exits or hangs
costs that file's result and nothing else. The processes run in parallel, ``jobs`` at a time
on this machine, or as tasks of a Dask cluster (``dask="tcp://scheduler:8786"``), where each
task starts the same process on its worker; the submissions folder must then be readable at
the same path on the workers (a shared file system).

Results are keyed by file: the result of ``alice/week4.ipynb`` is
``results/alice/week4.ipynb.json``, the JSON ``verigrad check FILE --json`` writes (see
``verigrad.exercises.files.as_json``) plus ``"submission"`` (the file's path in the
folder) and ``"seconds"``. A file that could not be checked at all has ``"error"`` and
``exit_code`` 2; so has a check whose process wrote no result (it crashed or was killed):
a verdict is only ever read from a result, never guessed from an exit status. Each result
is written whole or not at all, by this process, as its check ends: a task that a cluster
runs again (its worker died) replaces the file, never adds to it. The summary
(``verigrad.exercises.class_summary``) is read back from the result files once every check
has ended.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._files import write_text
from .remote import wall_limit

#: the files of a folder that are submissions
SUFFIXES = (".ipynb", ".py")
#: what a file's result file adds to its name
RESULT_SUFFIX = ".json"
#: folders never searched: notebook checkpoints, caches, hidden folders
SKIPPED_FOLDERS = {".ipynb_checkpoints", "__pycache__"}
#: seconds to wait for the Dask scheduler to answer
CONNECT_TIMEOUT = 30


class BatchError(Exception):
    """The batch cannot run as asked (no submissions, an output folder that cannot be
    written, a cluster that cannot be reached); the message says which."""


def submissions(folder: str | os.PathLike, pattern: str | None = None,
                exclude: str | os.PathLike | None = None) -> list[Path]:
    """The notebooks and ``.py`` files under ``folder`` (sub-folders included; hidden
    files and folders, checkpoints and caches left out), sorted; ``pattern`` (a glob such
    as ``"*.ipynb"``) keeps the files whose name matches; nothing under ``exclude`` (the
    results folder, when it is inside) is taken."""
    folder = Path(folder)
    exclude = Path(exclude).resolve() if exclude is not None else None
    found = []
    for path in folder.rglob(pattern or "*"):
        parts = path.relative_to(folder).parts
        if (path.suffix not in SUFFIXES or not path.is_file()
                or any(p.startswith((".", "_")) or p in SKIPPED_FOLDERS for p in parts)):
            continue
        if exclude is not None and exclude in path.resolve().parents:
            continue
        found.append(path)
    return sorted(found)


def submission_key(folder: str | os.PathLike, path: str | os.PathLike) -> str:
    """The file's path inside the class folder, with ``/``: the key of its result."""
    return Path(path).relative_to(folder).as_posix()


def result_path(json_dir: str | os.PathLike, key: str) -> Path:
    """Where the result of the submission ``key`` is written."""
    return Path(json_dir, *key.split("/")).with_name(key.split("/")[-1] + RESULT_SUFFIX)


def process_limit(timeout: float) -> float:
    """Wall-clock seconds a file's whole ``verigrad check`` process may take before it is
    stopped: the limit its worker has (``remote.wall_limit``), plus the start of the
    ``verigrad check`` process itself on a busy machine. Above the worker's own limit, so
    that the check's own time-out note, not this stop, is what a slow file gets."""
    return wall_limit(timeout) + 30


def check_one(path: str | os.PathLike, options: Sequence[str] = (),
              timeout: float = 120) -> dict:
    """The result of ``verigrad check path --json OUT --timeout timeout [options]``, run
    in a fresh process (in a session of its own, so that stopping it stops the learner's
    process too), as a dict; never raises for anything the file does."""
    path = Path(path)
    start = time.perf_counter()
    if not path.is_file():
        host = os.uname().nodename if hasattr(os, "uname") else "this machine"
        return _failed(path, f"{path} is not a file on {host}: the submissions folder must "
                             f"be on a file system every worker reads at the same path")
    limit = process_limit(timeout)
    with tempfile.TemporaryDirectory(prefix="verigrad-class-") as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, "-m", "verigrad.cli", "check", str(path), "--json",
                   str(out), "--timeout", str(timeout), *options]
        # the child imports this very verigrad, wherever it was imported from
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": os.pathsep.join(
            [package_root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 encoding="utf-8", errors="replace",
                                 start_new_session=hasattr(os, "killpg"))
        try:
            stdout, stderr = child.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            _stop(child)
            return _failed(path, f"the check of {path.name} did not end within {limit:g} s "
                                 f"and was stopped", start)
        try:
            result = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = _without_json(path, child.returncode, stdout, stderr)
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def _stop(child: subprocess.Popen[str]) -> None:
    """End the check's process and the learner's process it started."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
    except ProcessLookupError:
        pass
    child.communicate()


def _failed(path: str | os.PathLike[str], error: str,
            start: float | None = None) -> dict[str, Any]:
    return {"file": str(path), "exit_code": 2, "error": error, "tests": [],
            "seconds": None if start is None else round(time.perf_counter() - start, 3)}


def _without_json(path: str | os.PathLike[str], status: int, stdout: str | None,
                  stderr: str | None) -> dict[str, Any]:
    """The result of a check that wrote no JSON: its process crashed (a traceback: the
    checker's failure, not the learner's), was killed, or is a form of ``verigrad check``
    that writes none. Never a verdict: an exit status is not a result, and 1 (wrong) is also
    what a Python traceback exits with."""
    lines = [line.strip() for line in (stderr or stdout or "").splitlines() if line.strip()]
    how = (f"was killed by signal {-status}" if status < 0 else
           f"ended with exit status {status}")
    return _failed(path, f"the check of {Path(path).name} {how} without writing its result"
                         + (f": {lines[-1]}" if lines else ""))


def check_all(folder: str | os.PathLike, paths: Sequence[Path], json_dir: str | os.PathLike,
              *, options: Sequence[str] = (), timeout: float = 120, jobs: int | None = None,
              dask: str | None = None, progress: Callable[[str, dict], None] | None = None
              ) -> list[str]:
    """Check every file of ``paths`` (files under ``folder``), ``jobs`` at a time here or on
    the Dask scheduler at ``dask``, writing each result under ``json_dir`` as it comes;
    ``progress(key, result)`` is called after each. Returns the keys, in ``paths``' order."""
    keys = [submission_key(folder, p) for p in paths]

    def record(key: str, result: dict[str, Any]) -> None:
        result["submission"] = key
        target = result_path(json_dir, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, json.dumps(result, indent=1))
        if progress is not None:
            progress(key, result)

    work = dict(zip(keys, (str(p) for p in paths)))
    if dask is None:
        _run_here(work, options, timeout, jobs or os.cpu_count() or 1, record)
    else:
        _run_on_dask(work, options, timeout, dask, record)
    return keys


def _run_here(work: Mapping[str, str], options: Sequence[str], timeout: float, jobs: int,
              record: Callable[[str, dict[str, Any]], None]) -> None:
    # threads suffice: each one only waits for its check's process
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(check_one, path, options, timeout): key
                   for key, path in work.items()}
        for future in concurrent.futures.as_completed(futures):
            record(futures[future], future.result())


def _run_on_dask(work: Mapping[str, str], options: Sequence[str], timeout: float, address: str,
                 record: Callable[[str, dict[str, Any]], None]) -> None:
    try:
        import distributed
    except ImportError:
        raise BatchError("--dask needs Dask's distributed scheduler: pip install "
                         "'verigrad[dask]'") from None
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError, TimeoutError) as error:
        raise BatchError(f"--dask {address}: cannot reach the scheduler ({error})") from None
    with client:
        # one task per file, under a name no other run shares
        run = uuid.uuid4().hex[:8]
        futures = {client.submit(check_one, path, options=list(options), timeout=timeout,
                                 key=f"verigrad-check-{run}-{i}"): key
                   for i, (key, path) in enumerate(work.items())}
        for future in distributed.as_completed(list(futures)):
            key = futures[future]
            try:
                result = future.result()
            except Exception as error:  # the cluster gave up on the task (its workers died)
                result = _failed(work[key], f"the cluster could not run the check: "
                                            f"{type(error).__name__}: {error}")
            record(key, result)
