"""Output folders of the commands that write runs: checked before any work starts, and
never left holding two runs' files side by side, even when a run is interrupted."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._files import PathLike, write_text
from .common import CommandError


def check_output_folder(out: PathLike, flag: str, run_files: Iterable[str],
                        overwrite: bool) -> list[str]:
    """Raise ``CommandError`` unless the run can write ``run_files`` into the folder ``out``
    (given as ``flag``): ``out`` must be a folder or not exist yet, inside a writable folder,
    and hold no earlier run unless ``overwrite``. Creates nothing. Returns the names of the
    earlier run's files, which the new run replaces (or removes) once it has finished."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CommandError(f"{flag} {out} is a file, not a folder: choose a folder")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"{flag} {out} cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandError(f"{flag} {out} cannot be written: no permission to write in "
                           f"{existing}")
    previous = [name for name in run_files if (out / name).exists()]
    if previous and not overwrite:
        raise CommandError(f"{flag} {out} holds an earlier run ({', '.join(previous)}): pass "
                           f"--overwrite to replace it, or choose another {flag}")
    return previous


def check_output_file(path: PathLike, flag: str) -> None:
    """Raise ``CommandError`` unless a file can be written at ``path`` (given as ``flag``):
    it is not a folder, its folder exists, and a file can really be created there (a
    permission test alone would pass for root on a read-only file system). Creates
    nothing that stays."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{flag} {path} is a folder: give a file name")
    if not path.parent.is_dir():
        raise CommandError(f"{flag} {path}: the folder {path.parent} does not exist")
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise CommandError(f"{flag} {path} cannot be written: {err.strerror or err}") from None


def write_output(path: PathLike, text: str, flag: str) -> None:
    """Write the file ``path`` that the option ``flag`` names (atomically); a failure, such
    as a disk that filled up or permissions changed since ``check_output_file``, is one
    ``CommandError`` line."""
    try:
        write_text(path, text)
    except OSError as err:
        raise CommandError(f"{flag} {path} cannot be written: {err.strerror or err}") from None


@contextlib.contextmanager
def staged_run(out: PathLike, previous: Iterable[str]) -> Iterator[Path]:
    """A hidden folder inside ``out`` for the run to write its files into. When the block
    ends normally they move into ``out`` (``os.replace``, one rename each) and the files of
    the earlier run (``previous``) that the new one did not write are removed; if it ends
    with an error or an interrupt, the folder goes and ``out`` keeps the earlier run as it
    was. Returns (via the block) the folder; afterwards ``out`` holds one run's files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".unfinished-run-"))
    try:
        yield staging
        written = sorted(p.name for p in staging.iterdir())
        for name in written:
            os.replace(staging / name, out / name)
        for name in set(previous) - set(written):
            stale = out / name
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: the subfolder of --out where a diverged run goes when --out holds an earlier model
DIVERGED = "diverged"


def diverged_destination(out: PathLike, previous: list[str]) -> tuple[Path, list[str]]:
    """(folder, its earlier files) for the files of a run that diverged: ``out`` itself,
    unless ``out`` holds an earlier run's model (``previous``, from
    ``check_output_folder``). A diverged run never replaces a model that finished, even
    under --overwrite: it goes into ``out/diverged`` instead, and the earlier run stays
    whole (its pictures too). The next run that finishes removes that subfolder."""
    out = Path(out)
    if "model.npz" not in previous:
        return out, previous
    folder = out / DIVERGED
    return folder, [p.name for p in folder.iterdir()] if folder.is_dir() else []


def write_json(path: PathLike, value: Any) -> None:
    write_text(path, json.dumps(value, indent=1))
