"""Shared fixtures: where the real data sets live, and the pages docs/ generates.

Tests read the data in place, from ``$VERIGRAD_DATA`` or ``../shared/data`` beside the
repository, and skip with the reason when neither holds the files they need.
"""
import difflib
import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir():
    """The folder holding mnist/, fashion-mnist/ and text/, or None."""
    env = os.environ.get("VERIGRAD_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def data_dir():
    found = shared_data_dir()
    if found is None:
        pytest.skip("real data not found: set VERIGRAD_DATA or place it in ../shared/data")
    return found


@pytest.fixture(scope="session")
def text_dir(data_dir):
    path = data_dir / "text"
    if not path.is_dir():
        pytest.skip(f"text corpora not found in {path}")
    return path


class GeneratedPages:
    """The pages of docs/ that a script there writes: ``load(script)`` imports
    docs/SCRIPT.py, ``assert_current(page, rendered, script)`` fails with the diff and the
    command to run when the committed page is not what the script renders now."""

    docs = REPO / "docs"

    def load(self, script):
        spec = importlib.util.spec_from_file_location(script, self.docs / f"{script}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def assert_current(self, page, rendered, script):
        committed = (self.docs / page).read_text(encoding="utf-8")
        diff = "".join(difflib.unified_diff(committed.splitlines(True),
                                            rendered.splitlines(True), f"docs/{page}",
                                            "rendered now", n=1))
        assert rendered == committed, (f"docs/{page} is stale: run python docs/{script}.py\n"
                                       + diff[:3000])


@pytest.fixture
def generated_pages():
    return GeneratedPages()
