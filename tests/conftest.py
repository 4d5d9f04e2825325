"""Shared fixtures: where the real data sets live.

Tests read the data in place, from ``$VERIGRAD_DATA`` or ``../shared/data`` beside the
repository, and skip with the reason when neither holds the files they need.
"""
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
