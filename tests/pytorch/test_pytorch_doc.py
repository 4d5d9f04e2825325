"""docs/pytorch.md is what docs/make_pytorch_table.py writes now: its table is the real
output of `verigrad check` on the fixture notebook with the page's three mistakes."""
import difflib
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def test_the_pytorch_page_is_what_its_generator_writes():
    spec = importlib.util.spec_from_file_location("make_pytorch_table",
                                                  DOCS / "make_pytorch_table.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rendered = generator.page()
    committed = (DOCS / "pytorch.md").read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(committed.splitlines(True), rendered.splitlines(True),
                                        "docs/pytorch.md", "rendered now", n=1))
    assert rendered == committed, ("docs/pytorch.md is stale: run python "
                                   "docs/make_pytorch_table.py\n" + diff[:3000])
    assert "<- first wrong" in rendered  # the table of a real check, with its mistakes
