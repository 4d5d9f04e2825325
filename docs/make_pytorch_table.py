# ruff: noqa: E501  (the page's markdown table rows)
"""Write docs/pytorch.md: vg.cmp, and verigrad check's real table on the fixture notebook
with three mistakes (tests/pytorch/makemore_notebook.py), so that the page stays true.

    python docs/make_pytorch_table.py
"""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "pytorch"))

import makemore_notebook as fixture  # noqa: E402

from verigrad.pytorch import makemore  # noqa: E402

INTRO = """# PyTorch backprop: `cmp` that names the bug, and makemore's notebook

Makemore part 4 ("becoming a backprop ninja", Zero to Hero) has you backpropagate by hand
through an MLP with batch norm, tensor by tensor, and compare each gradient with autograd's
using a five-line `cmp` that prints "exact", "approximate" and the largest difference.
verigrad's `cmp` is a drop-in: it prints the same line, then a verdict.

```python
from verigrad import cmp          # instead of the notebook's def cmp(s, dt, t)
cmp('counts', dcounts, counts)
r = cmp('W1', dW1, W1)            # r.ok, r.verdict, r.kind, r.message
cmp('W1', my_dW1, true_dW1)       # any two arrays or tensors: (mine, truth)
```

```
counts          | exact: False | approximate: False | maxdiff: 0.0991...
                | verigrad: wrong [second_path]: counts is used by 2 operations of the forward
                  pass (MulBackward0, SumBackward1) and dt equals the gradient through
                  MulBackward0 only: the one through SumBackward1 is missing. ...
```

PyTorch is an optional extra (`pip install verigrad[torch]`); verigrad imports the torch you
imported, never its own.

## The verdicts

| verdict | meaning |
|---|---|
| `exact` | bit for bit autograd's gradient |
| `rounding` | equal up to the rounding of the tensor's precision (float32: about 7 digits): your formula adds the same terms in another order than autograd, and floating-point addition is not associative, so the last bits differ. Nothing to fix: this is makemore's "approximate: True, exact: False" |
| `wrong [scale]` | a constant factor: `n` means a missing 1/n (the loss is a mean over the batch); `(n−1)/n` Bessel's correction (the forward divides by n−1, the gradient by n) |
| `wrong [sign]` | minus the true gradient |
| `wrong [transpose]` | the transpose: the factors of a matrix product in the wrong order |
| `wrong [shape]` | a shape only broadcasting makes comparable (`[64]` for `[1, 64]`): which dimension, `keepdim` forgotten or extra, or a dimension the forward broadcast and the gradient did not sum |
| `wrong [sum_axis]` | one number, the total over every dimension: a `sum()` without a dim |
| `wrong [second_path]` | a tensor used twice in the forward (`counts`, `bndiff`, `hprebn`) whose gradients were not added: dt equals the gradient through some of its uses only |
| `wrong [accumulate]` | `dC[ix] = ...` where `+=` belongs: right on the rows the indices read once, wrong where they repeat |
| `wrong [tanh_derivative]` | `1 − x²` of the pre-activation instead of `1 − tanh(x)²` |
| `wrong [mask]`, `[nan]` | zero where the gradient is not; NaN or inf |
| `wrong [mismatch]` | none of the above: a wrong formula here, or one it builds on |
| `unchecked` | not comparable (no `.grad`: call `t.retain_grad()`; not numbers): it says what it got |

`second_path`, `accumulate` and `tanh_derivative` are read off autograd's graph: each use of
the tensor and the gradient it sent back. The graph must still be alive: pass the loss and
keep the graph (`loss.backward(retain_graph=True)`, then `cmp(name, dt, t, loss=loss)`), or
let `verigrad check` run the notebook, which does both. Without the graph these mistakes are
reported as `mismatch`.

## The whole notebook

```
verigrad check makemore_part4_backprop.ipynb      # names.txt beside it
```

runs the notebook's cells in order in a separate process, with `cmp` replaced by verigrad's,
and prints one table: each compared tensor, its verdict and finding, and the line that last
assigned the gradient. The comparisons go back from the loss, so the first wrong one is
marked: every later gradient that builds on it inherits it. Exercise 4's 200,000-step loop
runs one step: its forward and your backward run with autograd on, `loss.backward()` is
called after `grads = [...]`, and each of your gradients is compared with the parameter's
`.grad`; then the loop stops. Exit status 0 (all right), 1 (a gradient is wrong), 2 (cannot
check: no `names.txt` beside the notebook, a cell that stops the run, a `cmp(...)` that never
ran, the run past `--timeout`); `--json OUT` writes the results as for NumPy notebooks.

The notebook's process only reports values: for each `cmp`, your gradient, autograd's and
what the graph says about the tensor. `verigrad check` decides every verdict in its own
process from them (`compare.gather` there, `compare.decide` here: the same verdicts as
`vg.cmp`), so that nothing the notebook does in its process (write files, print, patch
verigrad, exit early) decides its result (docs/reliability.md, section 4).

A layer's forward and backward written with PyTorch is checked by central differences like a
NumPy one: `vg.check_layer(forward, backward, x, w, b)` with tensors hands float64 tensors to
your functions and reads their results back.

Here is the table for a copy of the notebook with three mistakes:
{mistakes}. Only the first one going back from the loss can be named; every later gradient
inherits it:

```
{table}
```
"""


def page():
    with tempfile.TemporaryDirectory() as folder:
        path = fixture.write(Path(folder), fixture.DOC_MISTAKES)
        payload = makemore.check_notebook(path, timeout=300)
    rows = [r for r in payload["results"] if r["section"] != "training step"]
    payload = {**payload, "results": rows, "notes": []}
    mistakes = ", ".join(f"`{fixture.MISTAKES[k][2].strip().splitlines()[0] or k}`"
                         if fixture.MISTAKES[k][2].strip() else
                         f"the `+=` of d{fixture.MISTAKES[k][0]} left out"
                         for k in fixture.DOC_MISTAKES)
    return INTRO.format(table=makemore.table(payload), mistakes=mistakes)


if __name__ == "__main__":
    (ROOT / "docs" / "pytorch.md").write_text(page())
