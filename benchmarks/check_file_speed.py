"""How long ``verigrad check`` takes on a params/cost/grads file, now that the learner's code
runs in a child process and the verdict is computed in the checking process.

Three contenders check the same file (a 2-layer tanh/sigmoid network written as a learner
would, 20-16-1 on 64 examples: 353 parameters, a full check of every entry), interleaved:
- in-process: ``verigrad.check_backprop`` on the file's functions imported here (the check
  before issue 26 moved the learner's code into a child process; the peer);
- per call: the child process asked for one cost per message (the first version);
- batched: the child asked for many costs per message (``cost.many``), as ``verigrad check``
  does now.
and the child's start alone (Python, NumPy, verigrad, the file: a fixed cost of every
check in a child). Prints the median of each and the ratios against the in-process check
and of the ``check_backprop`` call alone (the child already started), then one JSON line.

    python benchmarks/check_file_speed.py [--repeats 5]
"""
import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import verigrad as vg  # noqa: E402
from verigrad.cli.backprop_file import LearnerCost, LearnerProcess  # noqa: E402

FILE = '''
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((20, 64))
Y = (rng.random((1, 64)) > 0.5).astype(float)
params = {"W1": rng.standard_normal((16, 20)) * 0.3, "b1": np.zeros((16, 1)),
          "W2": rng.standard_normal((1, 16)) * 0.3, "b2": np.zeros((1, 1))}

def forward(p):
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
    return A1, A2

def cost(p):
    _, A2 = forward(p)
    return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

def grads(p):
    A1, A2 = forward(p)
    m = X.shape[1]
    dZ2 = A2 - Y
    dZ1 = (p["W2"].T @ dZ2) * (1 - A1 ** 2)
    return {"dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m,
            "dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m}
'''


def in_process(path, checks):
    spec = importlib.util.spec_from_file_location("learner_file", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start = time.perf_counter()
    report = vg.check_backprop(module.cost, module.grads, module.params, mode="full")
    checks.append(time.perf_counter() - start)
    return report


def child(path, batched, checks=None):
    with LearnerProcess(path, timeout=600) as learner:
        learner.start()
        if batched is None:  # the child's start alone: Python, NumPy, verigrad, the file
            report = None
        else:
            cost = LearnerCost(learner) if batched else learner.cost
            start = time.perf_counter()
            report = vg.check_backprop(cost, learner.grads, learner.params, mode="full")
            checks.append(time.perf_counter() - start)
    learner.output()
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "my_backprop.py"
        path.write_text(FILE)
        checks = {"in_process": [], "per_call": [], "batched": []}
        contenders = {"in_process": lambda: in_process(path, checks["in_process"]),
                      "per_call": lambda: child(path, False, checks["per_call"]),
                      "batched": lambda: child(path, True, checks["batched"]),
                      "child_start": lambda: child(path, None)}
        times = {name: [] for name in contenders}
        reports = {}
        for _ in range(args.repeats):
            for name, run in contenders.items():
                start = time.perf_counter()
                reports[name] = run()
                times[name].append(time.perf_counter() - start)
    same = len({str(r) for r in reports.values() if r is not None}) == 1
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, seconds in median.items():
        print(f"{name:11s} {seconds:7.3f} s  ({seconds / median['in_process']:.2f} x in-process)")
    check = {name: statistics.median(t) for name, t in checks.items()}
    print("the check_backprop call alone (the child already started): " + ", ".join(
        f"{name} {seconds:.3f} s ({seconds / check['in_process']:.2f} x)"
        for name, seconds in check.items()))
    print(f"the three reports are {'identical' if same else 'DIFFERENT'}")
    print(json.dumps({"benchmark": "check_file_speed", "repeats": args.repeats,
                      **{f"{k}_s": round(v, 4) for k, v in median.items()},
                      "per_call_ratio": round(median["per_call"] / median["in_process"], 2),
                      "batched_ratio": round(median["batched"] / median["in_process"], 2),
                      **{f"{k}_check_s": round(v, 4) for k, v in check.items()},
                      "per_call_check_ratio": round(check["per_call"] / check["in_process"], 2),
                      "batched_check_ratio": round(check["batched"] / check["in_process"], 2),
                      "reports_identical": same}))


if __name__ == "__main__":
    main()
