"""The learner code the generated pages show: a function's signature and the lines marked
``# bug``, the rest elided. The pages point at the mistake; the rest of a learner function
is often a correct solution of a graded exercise, which verigrad does not publish (the whole
files are in tests/)."""
import inspect
import textwrap


def excerpt(function):
    """``function``'s signature, then each ``# bug`` line (indented once), with ``...``
    between. A function with no such line is right in itself; ``function.calls``, when set,
    names the wrong function it calls."""
    lines = textwrap.dedent(inspect.getsource(function)).rstrip().splitlines()
    head = lines[:next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")) + 1]
    bugs = ["    " + line.strip() for line in lines if "# bug" in line]
    if not bugs:
        calls = getattr(function, "calls", None)
        bugs = ["    ...  # right in itself" + (f"; it calls {calls}" if calls else "")]
    return "\n".join([*head, *(part for bug in bugs for part in ("    ...", bug)), "    ..."])
