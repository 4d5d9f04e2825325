"""docs/checking-your-layers.md is what docs/make_layers_walkthrough.py writes now: the
page's outputs are verigrad's, for at least 20 learner mistakes across the exercises."""
import difflib
import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def test_the_walkthrough_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_layers_walkthrough",
                                                  DOCS / "make_layers_walkthrough.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rendered = generator.render()
    committed = (DOCS / "checking-your-layers.md").read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(committed.splitlines(True), rendered.splitlines(True),
                                        "docs/checking-your-layers.md", "rendered now", n=1))
    assert rendered == committed, (
        "docs/checking-your-layers.md is stale: run python docs/make_layers_walkthrough.py\n"
        + diff[:3000])
    mistakes = sum(len(module.MISTAKES) for _, module in generator.GROUPS)
    assert mistakes >= 20 and rendered.count("# bug") >= mistakes
