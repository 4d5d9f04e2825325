"""``verigrad check FOLDER``: a class's submissions at once, for teachers.

    verigrad check submissions/ --json-dir results/            # this machine's cores
    verigrad check submissions/ --json-dir results/ --dask tcp://scheduler:8786

Each notebook and ``.py`` file under FOLDER is checked by a ``verigrad check FILE`` process
of its own (``verigrad.exercises.batch``); the summary (``verigrad.exercises.class_summary``)
is printed and, with --json-dir, written beside the results. Exit status: 0 when every
submission was checked and every function in it is right, 1 otherwise (a function wrong,
not done or not checkable, a file that could not be run or holds no exercise), 2 when the
command cannot run as asked.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exercises import batch, class_summary
from ..exercises.batch import BatchError
from . import values

#: the options of ``verigrad check`` that apply to a folder only
FOLDER_OPTIONS = ("json_dir", "jobs", "dask", "pattern")


def add_class_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``verigrad check FOLDER``."""
    group = parser.add_argument_group("a folder of submissions (FILE is a folder)")
    group.add_argument("--json-dir", type=Path, default=None, metavar="DIR",
                       help="write each submission's --json result to DIR (results/alice/"
                            "week4.ipynb.json for submissions/alice/week4.ipynb), and "
                            "summary.json, summary.csv (per function) and scores.csv (per "
                            "submission) (default: print the summary only)")
    group.add_argument("--jobs", type=values.positive_int, default=None, metavar="N",
                       help="files checked at once on this machine (default: its number of "
                            "cores)")
    group.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="check the files on the Dask cluster whose scheduler is at "
                            "ADDRESS (tcp://host:8786); FOLDER must be at the same path on "
                            "the workers (needs the dask extra)")
    group.add_argument("--pattern", default=None, metavar="GLOB",
                       help="check only the files whose name matches GLOB, such as "
                            "'*.ipynb' (default: every .ipynb and .py file, sub-folders "
                            "included, hidden ones left out)")


def refuse_folder_options(args: argparse.Namespace) -> None:
    """A file to check takes none of the folder's options."""
    given = [f"--{name.replace('_', '-')}" for name in FOLDER_OPTIONS
             if getattr(args, name) is not None]
    if given:
        raise BatchError(f"{', '.join(given)} apply only when FILE is a folder of "
                         f"submissions; {args.file} is a file")


def child_options(args: argparse.Namespace) -> list[str]:
    """The options each file's ``verigrad check`` process gets from this command."""
    options = ["--mode", args.mode, "--eps", repr(args.eps), "--tol", repr(args.tol),
               "--samples", str(args.samples), "--seed", str(args.seed)]
    return options + (["--all"] if args.all else [])


def run_class_check(args: argparse.Namespace) -> int:
    folder = args.file
    if args.json is not None:
        raise BatchError(f"--json writes one file's result; for the folder {folder} give "
                         f"--json-dir DIR")
    if args.dask is not None and args.jobs is not None:
        raise BatchError("--jobs applies on this machine; with --dask the cluster's workers "
                         "decide how many files are checked at once")
    if args.json_dir is not None:
        try:
            args.json_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BatchError(f"--json-dir {args.json_dir}: cannot create it ({error})") from None
    paths = batch.submissions(folder, args.pattern, exclude=args.json_dir)
    if not paths:
        raise BatchError(f"no .ipynb or .py file in {folder}" +
                         (f" whose name matches {args.pattern!r}" if args.pattern else ""))
    if args.json_dir is None:
        with tempfile.TemporaryDirectory(prefix="verigrad-class-") as scratch:
            return _check(args, folder, paths, Path(scratch), keep=False)
    return _check(args, folder, paths, args.json_dir, keep=True)


def _check(args: argparse.Namespace, folder: Path, paths: Sequence[Path], json_dir: Path,
           keep: bool) -> int:
    done = 0

    def progress(key: str, result: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        print(f"[{done}/{len(paths)}] {key}: {_verdicts(result)}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    keys = batch.check_all(folder, paths, json_dir, options=child_options(args),
                           timeout=args.timeout, jobs=args.jobs, dask=args.dask,
                           progress=progress)
    summary = class_summary.summarize(class_summary.load(json_dir, keys), str(folder),
                                      round(time.perf_counter() - start, 3))
    print(class_summary.table(summary))
    if keep:
        written = class_summary.write(json_dir, summary)
        print(f"\n{len(keys)} result(s) and {', '.join(p.name for p in written)} written to "
              f"{json_dir}")
    return summary["exit_code"]


def _verdicts(result: dict[str, Any]) -> str:
    """One submission's outcome in a few words, for the progress lines."""
    if "error" in result:
        return "could not be run"
    counts: dict[str, int] = {}
    for function in result.get("functions", []):
        verdict = class_summary.category(function)
        counts[verdict] = counts.get(verdict, 0) + 1
    return ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) or "no exercise"
