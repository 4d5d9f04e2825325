"""Write the documentation's tables of finding kinds from verigrad's one vocabulary
(``verigrad.gradcheck.kinds``), so that each kind is described in the code and nowhere else.

    python docs/make_kind_tables.py            # rewrite the tables in place
    python docs/make_kind_tables.py --check    # exit 1, naming the stale pages

Each table sits between two HTML comments (invisible on the rendered page); the page
generators (make_debugging_gallery.py, make_layers_walkthrough.py) write the same block.
Run this after registering a kind (``register_kind``, or ``register_mistakes`` in an
exercise module).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import verigrad.exercises  # noqa: E402, F401  (its modules register the exercises' kinds)
from verigrad.gradcheck import registered_kinds  # noqa: E402

#: page (under docs/) -> the origin of the kinds its table lists
PAGES = {"debugging.md": "gradcheck", "checking-your-layers.md": "exercises"}
END = "<!-- end of the kinds table -->"


def _begin(origin: str) -> str:
    return (f"<!-- the {origin} kinds: written by docs/make_kind_tables.py from "
            f"verigrad.gradcheck.kinds -->")


def kind_table(origin: str) -> str:
    """The markdown table of the kinds of ``origin``, between its two markers."""
    rows = [f"| `{kind}` | {kind.description} | {kind.advice} |"
            for kind in registered_kinds(origin)]
    return "\n".join([_begin(origin), "| kind | what it means | where the message points |",
                      "|---|---|---|", *rows, END])


def with_table(text: str, origin: str, page: str = "the page") -> str:
    """``text`` with its table of ``origin``'s kinds written anew."""
    block = re.compile(re.escape(_begin(origin)) + r".*?" + re.escape(END), re.DOTALL)
    if len(block.findall(text)) != 1:
        raise ValueError(f"{page} must hold one table of the {origin} kinds between "
                         f"{_begin(origin)!r} and {END!r}")
    return block.sub(lambda _: kind_table(origin), text)


def stale(folder: Path = ROOT / "docs") -> list[str]:
    """The pages whose committed table differs from the registry's."""
    out = []
    for page, origin in PAGES.items():
        text = (folder / page).read_text(encoding="utf-8")
        if with_table(text, origin, page) != text:
            out.append(page)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a page's table is out of date")
    args = parser.parse_args()
    if args.check:
        pages = stale()
        for page in pages:
            print(f"docs/{page}: the table of kinds is out of date; run python "
                  f"docs/make_kind_tables.py")
        return 1 if pages else 0
    for page, origin in PAGES.items():
        path = ROOT / "docs" / page
        text = path.read_text(encoding="utf-8")
        new = with_table(text, origin, page)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"wrote docs/{page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
