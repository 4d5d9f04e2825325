"""docs/pytorch.md is what docs/make_pytorch_table.py writes now: its table is the real
output of `verigrad check` on the fixture notebook with the page's three mistakes."""
import pytest

pytest.importorskip("torch")


def test_the_pytorch_page_is_what_its_generator_writes(generated_pages):
    rendered = generated_pages.load("make_pytorch_table").page()
    generated_pages.assert_current("pytorch.md", rendered, "make_pytorch_table")
    assert "<- first wrong" in rendered  # the table of a real check, with its mistakes
