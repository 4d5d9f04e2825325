"""The gallery of learner bugs is a test: each buggy implementation is flagged on the right
parameters with the right kind, and each correct variant passes with no findings."""
from pathlib import Path

import pytest

from gallery import CASES, CORRECT, load_batch

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
DOC = DOCS / "debugging.md"


@pytest.fixture(scope="module")
def mnist_batch(data_dir):
    return load_batch(data_dir / "mnist")


def run(case, request):
    batch = request.getfixturevalue("mnist_batch") if case.needs_mnist else None
    return case.run(batch)[1]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_each_bug_is_named_on_the_right_parameters(case, request):
    report = run(case, request)
    assert {(f.kind, f.param) for f in report.findings} == case.expected, str(report)
    assert not report.ok
    assert "Result: OK" not in str(report)


@pytest.mark.parametrize("case", CORRECT, ids=lambda case: case.key)
def test_each_correct_variant_passes(case, request):
    report = run(case, request)
    assert report.ok and report.findings == [], str(report)
    assert all(p.rel_error < 1e-7 for p in report.params)


def test_the_gallery_covers_the_required_bugs():
    assert len(CASES) >= 10
    kinds = {kind for case in CASES for kind, _ in case.expected}
    assert kinds >= {"scale", "sign", "transpose", "sum_axis", "mask", "shape", "mutation",
                     "nondeterministic", "nan", "mismatch"}


def test_the_documentation_shows_every_case():
    text = DOC.read_text(encoding="utf-8")
    for case in CASES:
        assert case.title in text, case.key


def test_the_documentation_is_what_the_generator_writes(mnist_batch, generated_pages):
    """docs/debugging.md in full, against the page rendered now: a changed message, case or
    intro shows up here until the page is regenerated."""
    rendered = generated_pages.load("make_debugging_gallery").render(mnist_batch)
    generated_pages.assert_current("debugging.md", rendered, "make_debugging_gallery")
