"""A child process that runs a learner's code and talks to the checking process in
``wire``'s messages only: what ``verigrad check`` uses for params/cost/grads files
(``verigrad.cli.backprop_file``) and for makemore's PyTorch notebook
(``verigrad.pytorch.makemore``); ``spawn`` also starts the learner's process of notebooks
and exercise files (``verigrad.exercises.remote``).

    child = ChildProcess("verigrad.cli._learner", [FILE], timeout=60, replies=True)
    header, arrays = child.receive()     # ChildEnded: it hung past timeout, exited, or lied
    child.send({"op": "cost", ...}, [...])
    child.close(); stdout, stderr = child.output()

The child runs ``python -m MODULE WRITE_FD ARGS...`` (``READ_FD WRITE_FD ARGS...`` with
replies=True): it writes messages to WRITE_FD and reads the checking process's from
READ_FD. Its standard output and error go to files that ``output()`` returns. The child is
killed when ``timeout`` seconds have passed since it started, so every call of ``receive``
ends.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import wire

# Seconds a child that was told it is done (its pipes closed) has to exit by itself.
_GRACE = 5


def spawn(module: str, fds: Sequence[int], args: Sequence[str], stdout: BinaryIO,
          stderr: BinaryIO, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m module FDS... ARGS...``, importing this very verigrad (wherever it
    was imported from), reading nothing, printing into the files ``stdout`` and ``stderr``
    (they may be one), and holding the pipe ends ``fds``, which this process then closes."""
    package_root = str(Path(__file__).resolve().parents[1])
    environment = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8",
                   "PYTHONPATH": os.pathsep.join(
                       [package_root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    child = subprocess.Popen([sys.executable, "-m", module, *map(str, fds), *args],
                             env=environment, stdin=subprocess.DEVNULL, stdout=stdout,
                             stderr=stderr, pass_fds=tuple(fds))
    for fd in fds:
        os.close(fd)
    return child


class ChildEnded(Exception):
    """No message came: the child ran out of time (``timed_out``), ended (``status``, its
    exit status), or sent a malformed message (``malformed``, what was wrong)."""

    def __init__(self, timed_out: bool, status: int | None, malformed: str | None):
        super().__init__(malformed or ("timed out" if timed_out else f"exited ({status})"))
        self.timed_out, self.status, self.malformed = timed_out, status, malformed


class ChildProcess:
    """``python -m module *args`` with a pipe to this process (and one back from it when
    ``replies``), its output kept in files, killed after ``timeout`` seconds."""

    def __init__(self, module: str, args: Sequence[str], timeout: float, *,
                 replies: bool = False, env: dict[str, str] | None = None):
        self.timeout, self.timed_out = timeout, False
        self._folder = tempfile.TemporaryDirectory(prefix="verigrad-check-")
        self.out = open(Path(self._folder.name) / "out", "w+b")  # noqa: SIM115
        self.err = open(Path(self._folder.name) / "err", "w+b")  # noqa: SIM115
        from_child, to_parent = os.pipe()
        fds = [to_parent]
        if replies:
            to_child, from_parent = os.pipe()
            fds.insert(0, to_child)
        self.child = spawn(module, fds, args, self.out, self.err, env)
        self.rx = os.fdopen(from_child, "rb")
        self.tx = os.fdopen(from_parent, "wb") if replies else None
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self.timed_out = True
        self.child.kill()

    def kill(self) -> None:
        """End the child now (it sent something that cannot be believed)."""
        self.child.kill()

    def __enter__(self) -> ChildProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, header: dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> None:
        """Send a message; a child that is gone is found by the next ``receive``."""
        assert self.tx is not None, "a ChildProcess made with replies=True"
        try:
            wire.send(self.tx, header, arrays)
        except OSError:
            pass

    def receive(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """The child's next message; ChildEnded when none comes."""
        try:
            return wire.receive(self.rx)
        except (wire.WireError, OSError) as err:
            if self.timed_out:
                raise ChildEnded(True, None, None) from None
            ended = isinstance(err, wire.WireError) and "ended early" in str(err)
            if not ended:
                self.kill()  # nothing more it says is read
            status = self.child.wait()
            raise ChildEnded(False, status, None if ended else str(err)) from None

    def close(self) -> int | None:
        """Stop the timer, close the pipes, wait for the child (killed if it has not ended
        ``_GRACE`` seconds later); its exit status, or None when it ran out of time."""
        self._timer.cancel()
        for stream in (self.tx, self.rx):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.child.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        return None if self.timed_out else self.child.returncode

    def output(self) -> tuple[str, str]:
        """What the child printed: (stdout, stderr). Call after ``close``."""
        texts = []
        for stream in (self.out, self.err):
            stream.flush()
            stream.seek(0)
            texts.append(stream.read().decode("utf-8", "replace"))
            stream.close()
        self._folder.cleanup()
        return texts[0], texts[1]
