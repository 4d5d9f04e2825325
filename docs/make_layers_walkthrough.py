"""Write docs/checking-your-layers.md: checking a course notebook's layer functions with
``verigrad check`` and ``vg.check_layer``, and a gallery of learner mistakes across the
exercises with verigrad's actual output, so that the page stays true.

    python docs/make_layers_walkthrough.py
"""
import argparse
import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the learners' code lives with the tests
sys.path.insert(0, str(ROOT / "docs"))

from excerpts import excerpt  # noqa: E402
from exercises import (  # noqa: E402
    learners_attention,
    learners_conv,
    learners_cs231n_knn,
    learners_cs231n_linear,
    learners_cs231n_models,
    learners_cs231n_optim,
    learners_dense,
    learners_globals,
    learners_gradient_checking,
    learners_initialization,
    learners_logistic,
    learners_normalization,
    learners_optimization,
    learners_recurrent,
    learners_regularization,
    learners_shallow,
    learners_torch_attention,
)
from exercises.checks import flagged, with_helpers  # noqa: E402
from make_class_summary import section as class_section  # noqa: E402
from make_kind_tables import kind_table  # noqa: E402

import verigrad as vg  # noqa: E402
from verigrad import exercises  # noqa: E402
from verigrad.exercises import files, recurrent  # noqa: E402

NOTEBOOK = ROOT / "tests" / "exercises" / "fixtures" / "two_wrong.ipynb"
HALF_DONE = ROOT / "tests" / "exercises" / "fixtures" / "dls_c1w3_stub_helper_wrong.ipynb"
GROUPS = [("Logistic regression (course 1 week 2)", learners_logistic),
          ("A network with one hidden layer (course 1 week 3)", learners_shallow),
          ("Initializations (course 1 week 4, course 2 week 1)", learners_initialization),
          ("Dense layers, costs and losses", learners_dense),
          ("Gradient checking: the 1-D and N-dimensional pairs", learners_gradient_checking),
          ("L2 regularization, dropout and your own gradient checker",
           learners_regularization),
          ("Batch, layer and group normalization, dropout", learners_normalization),
          ("Convolution and pooling", learners_conv),
          ("Recurrent layers, embeddings and sequence losses", learners_recurrent),
          ("Attention: positional encodings, scaled dot-product attention, heads",
           learners_attention),
          ("Optimization: gradient descent, mini-batches, momentum, Adam, learning-rate decay",
           learners_optimization),
          ("CS231n assignment 1: linear classifier losses", learners_cs231n_linear),
          ("CS231n assignment 1: k-nearest neighbours and LinearClassifier",
           learners_cs231n_knn),
          ("CS231n's update rules (optim.py)", learners_cs231n_optim),
          ("CS231n's model classes", learners_cs231n_models),
          ("A notebook's variable used where the function's argument belongs",
           learners_globals)]

INTRO = """# Checking your layers

Course graders compare a few fixed numbers and CS231n prints one `rel_error`; verigrad says
*what* is wrong in a hand-written layer. Run it on your notebook before you ask the forum:

```
verigrad check "Building_your_Deep_Neural_Network_Step_by_Step.ipynb"
verigrad check layers.py --json results.json      # per-function results and points
```

It takes the notebook's code cells in order and runs only the imports, the function
definitions and simple assignments (no training loops, no plots; `--all` runs every cell),
in a separate Python process with a time limit (`--timeout`, 120 s); the verdicts are
computed outside it, so nothing the file does can decide them. It finds the courses'
exercises by name and signature, runs each on generated configurations (the edge cases
where bugs hide: pad 0 and pad > 0, stride 1 and 2, a single example, non-square images,
ties in a max-pool window), compares every forward with verigrad's own layers and every
backward with central differences of **your own forward** (so correct code written
differently from the notebook is never rejected), and recognises the common mistakes by
computing what the wrong formula gives. The exit status is 0 when everything checked is
right, 1 when something is wrong and 2 when the file cannot be checked (a cell that does
not parse, a function that cannot be called as its exercise, the time limit), so a CI job
or a grader can use it; `--json` writes the results in the Gradescope/Otter-Grader format
(`tests`: name, score, max_score, output), which nbgrader tests can read too.

Run it in the notebook's folder, beside the course's helper modules (`dnn_utils`,
`testCases`, ...): an import that fails is noted and the check goes on, but a function that
needs the missing helper cannot run.

Methods of classes are exercises too (CS231n's `KNearestNeighbor.compute_distances_no_loops`,
`LinearClassifier.train`, `TwoLayerNet.loss`, ...): the check instantiates your class as
the assignment does, compares the loss with verigrad's layers and every gradient with
central differences of your own loss. A `.py` file inside a `cs231n/` folder
(`verigrad check cs231n/classifiers/fc_net.py`) runs as a module of that package, with the
folder above `cs231n/` on the path, so that `from ..layers import *` and
`from cs231n.layers import *` import your own layers; when a module of the package that it
imports is missing, a note says which, and what needs it is reported as `missing`, not as
your mistake. Where the assignments changed over the years (dropout's `p`, the probability
of dropping in 2017 and of keeping later; `use_batchnorm` or `normalization`; Adam's t; the
L2 term's ½), the check reads the version from your code's signature and behaviour and
names the convention it assumed in the result's exercise (shown with a finding and in
`--json`); correct code of any version passes.

The exercises it knows:

EXERCISES

The attention exercises (course 5 week 4's Transformer notebook, and the head split and merge
of the NumPy transformer tutorials) take the learner's layout, examples first: q (..., T_q,
d_k), k (..., T_k, d_k), v (..., T_k, d_v) and a mask broadcastable to (..., T_q, T_k), given
in float32 as the notebook's tests do; the references are verigrad's `MultiHeadAttention`
with weights that route q, k and v into one head, its head layout, and its sinusoidal table.
The notebook's mask changed meaning between versions: in 2021 (and in the TensorFlow
tutorial) 1 marks a key to hide and the scores get `mask * -1e9`; from 2022 on 1 marks a key
to attend. When the file's own `create_look_ahead_mask` or `create_padding_mask` runs, its
meaning is the one expected (`mask_sign` names a function that reads it the other way);
otherwise either is taken as right. The notebook's functions end in TensorFlow
(`tf.cast`, `tf.matmul`); where TensorFlow is not installed they are reported as
`needs_tensorflow` (cannot check, exit 2), never as wrong; where it is, their tensors are
read back as arrays.

CS231n assignment 3's `transformer_layers.py` (2021 on) is PyTorch: its classes
`MultiHeadAttention(embed_dim, num_heads, dropout)` and `PositionalEncoding(embed_dim,
dropout, max_len)` are checked as modules (PyTorch is imported only then), built by the
learner's own `__init__`, in eval mode and in float64. The attention's output is compared
with verigrad's, its `query`, `key`, `value` and `proj` Linear layers read as Wq, Wk, Wv, Wo
and bq … bo, with self- and cross-attention, a causal and a random `attn_mask` (True = attend);
so the course's reliance on one order of random draws does not decide the verdict. Dropout
is checked apart: in training with p = 0.5 the module's `nn.Dropout` must act on the
attention weights (N, H, S, T) and the output must be those dropped weights times the values
(for `PositionalEncoding`, on the sum x + pe).

## A notebook with two wrong functions

`tests/exercises/fixtures/two_wrong.ipynb` has four of them, an import of the course's
`testCases` (absent here) and an endless training loop, which the default run leaves out.
`verigrad check two_wrong.ipynb` prints:

```text
NOTEBOOK_OUTPUT
```

and exits with 1. The *look at* column is the line that assigns the first wrong gradient
(or the line that raised), else the function's first line.

## A notebook half done: a stub, a missing helper and a wrong function

`tests/exercises/fixtures/dls_c1w3_stub_helper_wrong.ipynb` is course 1 week 3 as a learner
has it midway: it imports the course's `testCases_v2` and `planar_utils` (its `sigmoid`
among them), which are not beside it; `initialize_parameters` is still the template
(`W1 = None`); `compute_cost` sums the cross-entropy where the cost is its mean.
`verigrad check dls_c1w3_stub_helper_wrong.ipynb` prints:

```text
HALF_DONE_OUTPUT
```

and exits with 1: a function left as the template is *not done*, a failing verdict apart
from a wrong one; a missing helper module is a note, never the learner's mistake, and the
course's provided helpers it held (`sigmoid` here) are supplied, and said so; the other
functions are checked as if nothing else were missing (a function that needs a helper the
check has no equivalent for is reported *cannot check*, exit 2 when nothing else is wrong).

CLASS_SECTION
## Any forward/backward pair: `vg.check_layer`

For a layer the catalogue does not know, give it example inputs:

```python
report = vg.check_layer(forward, backward, *inputs, **kwargs)
print(report); report.ok; report.findings
```

`forward(*inputs, **kwargs)` returns `(out, cache)` or several outputs and then the cache;
`backward(dout, cache)` (or `backward(dout1, dout2, cache)` for the leading outputs) returns
the input gradients as a tuple in input order, one array, or a dict keyed `d` + name (`dxt`,
`da_prev`, `dWf`, also for the arrays inside a dict input such as `parameters`). Integer
inputs and settings (`hparameters`, `bn_param`) are passed as they are. verigrad draws
seeded random upstream gradients, differentiates J = Σ⟨dout, out⟩ by central differences
in float64 and compares, with the tolerance, kink handling and finding kinds of
`vg.check_backprop` ([debugging.md](debugging.md)); it never changes your arrays and reports
a forward or backward that changes its inputs, the cache or `dout` (`mutation`) and an
exception in your code, with its file and line (`exception`). For example, a scale-and-shift
layer whose `dgamma` is summed over the wrong axis:

```python
PAIR_SOURCE
```

prints

```text
PAIR_OUTPUT
```

In a file or notebook, `verigrad check` checks such pairs too when the file declares them:

```python
VERIGRAD_CHECKS = {
    "scale_shift_forward": {"backward": "scale_shift_backward",
                            "inputs": (x, gamma), "kwargs": {}},
}
```

## Finding kinds of the exercises

Besides the gradient check's kinds (tabulated in [debugging.md](debugging.md)), the
exercises report:

KINDS_TABLE

## Learner mistakes and what verigrad says

Each case below is a mistake learners make, checked with the rest of the exercise correct.
The page shows the function's signature and its wrong line, marked `# bug`, as the learner
wrote it; the rest of the function is a correct solution of a graded exercise, so it is left
out (`...`); the whole learner files are in `tests/exercises/`. The output is verigrad's (this
page is generated by `docs/make_layers_walkthrough.py`, and the cases are tests).
"""


def scale_shift_forward(x, gamma):
    return gamma * x, (x, gamma)


def scale_shift_backward(dout, cache):
    x, gamma = cache
    return dout * gamma, (dout * x).sum(axis=1)  # bug: gamma's gradient sums over axis 0


def _pair():
    import numpy as np
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    gamma = np.array([0.5, -1.0, 2.0])
    source = "\n\n\n".join(inspect.getsource(f).rstrip()
                           for f in (scale_shift_forward, scale_shift_backward))
    source += ("\n\n\nx = np.linspace(-1, 1, 12).reshape(4, 3)\ngamma = np.array([0.5, -1.0, "
               "2.0])\nprint(vg.check_layer(scale_shift_forward, scale_shift_backward, x, "
               "gamma))")
    return source, str(vg.check_layer(scale_shift_forward, scale_shift_backward, x, gamma))


def _course(exercise):
    """The course, and for CS231n's layer functions (whose results say "CS231n") the
    assignment and file, under which the page lists an exercise."""
    if exercise.course != "CS231n":
        return exercise.course
    if any(exercise is e for e in recurrent.EXERCISES):
        return "CS231n assignment 3 (rnn_layers.py)"
    return "CS231n assignment 2 (layers.py)"


def _exercise_list():
    by_course = {}
    for e in exercises.EXERCISES:
        names = by_course.setdefault(_course(e), [])
        if f"`{e.name}`" not in names:  # one name, two notebook versions
            names.append(f"`{e.name}`")
    # by course and week (the Deep Learning Specialization first), whatever the modules' order
    order = sorted(by_course, key=lambda course: (not course.startswith("Deep Learning"), course))
    return "\n".join(f"- {course}: {', '.join(by_course[course])}" for course in order)


def render():
    """The page, with the learners' files named relative to the repository's root."""
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        return _render()
    finally:
        os.chdir(here)


def _render():
    notebook = files.table(files.check_file(NOTEBOOK))
    half_done = files.table(files.check_file(HALF_DONE))
    pair_source, pair_output = _pair()
    parts = [INTRO.replace("EXERCISES", _exercise_list()).replace("NOTEBOOK_OUTPUT", notebook)
             .replace("HALF_DONE_OUTPUT", half_done)
             .replace("PAIR_SOURCE", pair_source).replace("PAIR_OUTPUT", pair_output)
             .replace("KINDS_TABLE", kind_table("exercises"))
             .replace("CLASS_SECTION", class_section())]
    number = 0
    for title, module in GROUPS:
        parts.append(f"### {title}\n")
        for name, function, _ in module.MISTAKES:
            number += 1
            result = flagged(with_helpers(module), name, function)
            code = excerpt(function)
            output = files.table(files.as_payload([result]))
            parts.append(f"**{number}. `{name}`** (`{function.__name__}`)\n\n```python\n{code}\n"
                         f"```\n\n```text\n{output}\n```\n")
    parts.append("### CS231n's transformer_layers.py (PyTorch modules)\n")
    torch_cases = [(name, function, learners_torch_attention.classes())
                   for name, function, _ in learners_torch_attention.MISTAKES]
    torch_cases += [(f"{name}.forward", cls, {**learners_torch_attention.classes(), name: cls,
                                              f"{name}.forward": cls.forward})
                    for name, cls, _ in learners_torch_attention.WRONG_CLASSES]
    for name, function, functions in torch_cases:
        number += 1
        result = (flagged(functions, name, function) if not isinstance(function, type) else
                  {r.name: r for r in exercises.check_functions(functions)}[name])
        output = files.table(files.as_payload([result]))
        parts.append(f"**{number}. `{name}`** (`{function.__name__}`)\n\n```python\n"
                     f"{excerpt(function)}\n```\n\n```text\n{output}\n```\n")
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "checking-your-layers.md")
    args = parser.parse_args()
    args.out.write_text(render(), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
