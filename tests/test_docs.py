"""The documentation's own rules: measured figures live in the journal (docs/benchmarks.md),
not in the package's comments and docstrings, where every change would make them stale; and
every relative link of the README and docs/ leads to a file that exists."""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "verigrad"

#: A measured figure: a time with its unit (8.0 ms, 33 s/epoch, 2 minutes), a speed ratio
#: (3.5× slower, 1.2x faster), a throughput (1.23 M words/s), or an accuracy (a percent with
#: decimals, 99.27%, or any percent next to the word accuracy). Formulas (2·s_h, 1/m),
#: tolerances (1e-10) and rules of thumb in whole percents (below 1% of its peak, within
#: 10%) do not match.
MEASURED = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|sec|seconds?|min|minutes?|hours?)(?![\w-])"
    r"|\b\d+(?:\.\d+)?\s?[×x]\s(?:faster|slower|quicker|as fast|as slow)\b"
    r"|\b\d+(?:\.\d+)?\s?[kMG]?\s?(?:words|tokens|examples|images|steps)/s\b"
    r"|\b\d+\.\d+\s?%"
    r"|\baccuracy\W+(?:\w+\W+){0,3}?\d+(?:\.\d+)?\s?%"
    r"|\b\d+(?:\.\d+)?\s?%\s+(?:\w+\s+)?accuracy\b")


def prose(path: Path):
    """(line number, text) of every comment and every docstring line of a module."""
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            for offset, line in enumerate(node.value.value.splitlines()):
                yield node.lineno + offset, line


@pytest.mark.parametrize("text", [
    "a LeNet-5 step takes 8.0 ms", "33 s/epoch here", "about 2 minutes per epoch",
    "numba's slice assignment is 3.5× slower", "1.2x faster", "1.23 M words/s",
    "99.27% on MNIST", "test accuracy: 98%", "gets 97% accuracy", "(1.8% measured)"])
def test_the_pattern_finds_measured_figures(text):
    assert MEASURED.search(text)


@pytest.mark.parametrize("text", [
    "H_out = ⌊(H + 2·p_h − kh)/s_h⌋ + 1", "equal at 1e-10 in float64", "below 1% of its peak",
    "within 10% of its own length", "(1 − cos t, ½ − sin t)", "the 2 slices of 64 examples",
    "dropout 0.2 after 5 epochs", "the last 100 steps", "2x2 windows",
    "the least number of seconds between two drawings", "MNIST's pair is 13% apart"])
def test_the_pattern_leaves_formulas_and_tolerances(text):
    assert not MEASURED.search(text)


def test_no_measured_figures_in_the_package_comments_or_docstrings():
    found = [f"{path.relative_to(REPO)}:{line}: {text.strip()}"
             for path in sorted(PACKAGE.rglob("*.py")) for line, text in prose(path)
             if MEASURED.search(text)]
    assert not found, ("measured figures belong in docs/benchmarks.md (the journal); keep the "
                       "reason in the code and point there:\n" + "\n".join(found))


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))],
                         ids=lambda page: page.name)
def test_relative_links_lead_to_files(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the page itself
        if not (page.parent / target.split("#")[0]).exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(REPO)} links to missing files: {broken}"
