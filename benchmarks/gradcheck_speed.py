"""How long a gradient check takes: verigrad against the course's loop.

Two figures, on the first 64 MNIST training images (random inputs if MNIST is absent):
- a full check (every entry) of a 784-10-10 ReLU network (7,960 parameters), target < 2 s;
- a default check of a 784-256-128-10 ReLU network (235,146 parameters), target < 5 s.

The peer is the loop of the course's gradient check: perturb one entry in place, evaluate
model.cost at θ+ε and θ−ε, put it back. For the large network the peer's full check would
take minutes, so its time per entry is measured on a random subset and multiplied by the
number of entries. Contenders are interleaved; medians of the repeats are reported.

    python benchmarks/gradcheck_speed.py [--repeats 3]
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import verigrad as vg  # noqa: E402


def batch(m=64):
    folder = Path(os.environ.get("VERIGRAD_DATA", ROOT.parent / "shared" / "data")) / "mnist"
    try:
        X, y, _, _ = vg.data.load_mnist(folder)
        return X[:, :m].astype(np.float64), y[:m], "mnist"
    except (FileNotFoundError, OSError):
        rng = np.random.default_rng(0)
        return rng.random((784, m)), rng.integers(0, 10, m), "random"


def course_loop(model, X, y, entries, eps=1e-6):
    """Numeric gradients of the given (name, flat index) entries, one entry at a time."""
    numeric = []
    for name, flat in entries:
        p = model.params[name].reshape(-1)
        old = p[flat]
        p[flat] = old + eps
        up = model.cost(X, y)
        p[flat] = old - eps
        down = model.cost(X, y)
        p[flat] = old
        numeric.append((up - down) / (2 * eps))
    return numeric


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-entries", type=int, default=400,
                        help="entries timed for the peer's extrapolated check of the large net")
    args = parser.parse_args()
    X, y, source = batch()
    small = vg.mlp([784, 10, 10], dtype="float64", seed=0)
    large = vg.mlp([784, 256, 128, 10], dtype="float64", seed=0)
    every = [(name, i) for name, p in small.params.items() for i in range(p.size)]
    rng = np.random.default_rng(0)
    sizes = {name: p.size for name, p in large.params.items()}
    total = sum(sizes.values())
    names = list(sizes)
    weights = np.array([sizes[n] for n in names]) / total
    subset = [(n, int(rng.integers(sizes[n])))
              for n in rng.choice(names, args.peer_entries, p=weights)]

    times = {key: [] for key in ("full", "peer_full", "default", "peer_per_entry")}
    print(f"data: {source}, m = {X.shape[1]}; small net {len(every):,} parameters, "
          f"large net {total:,}")
    for r in range(args.repeats):
        seconds, report = timed(lambda: vg.gradcheck(small, X, y, mode="full"))
        assert report.ok, report
        times["full"].append(seconds)
        times["peer_full"].append(timed(lambda: course_loop(small, X, y, every))[0])
        seconds, report = timed(lambda: vg.gradcheck(large, X, y))
        assert report.ok, report
        times["default"].append(seconds)
        times["peer_per_entry"].append(
            timed(lambda: course_loop(large, X, y, subset))[0] / len(subset))
        print(f"repeat {r + 1}: full 784-10-10 {times['full'][-1]:.2f} s "
              f"(course loop {times['peer_full'][-1]:.2f} s); default 784-256-128-10 "
              f"{times['default'][-1]:.2f} s, mode {report.mode} (course loop "
              f"{times['peer_per_entry'][-1] * 1e3:.2f} ms per entry)")

    median = {key: float(np.median(value)) for key, value in times.items()}
    peer_large = median["peer_per_entry"] * total
    print(f"full check, 784-10-10:      {median['full']:.2f} s  (target < 2 s); course loop "
          f"{median['peer_full']:.2f} s, {median['peer_full'] / median['full']:.1f}× slower")
    print(f"default check, 784-256-128-10: {median['default']:.2f} s  (target < 5 s); a "
          f"course-loop full check would take about {peer_large:.0f} s, "
          f"{peer_large / median['default']:.0f}× longer")
    print(json.dumps({"full_784_10_10_s": round(median["full"], 3),
                      "default_784_256_128_10_s": round(median["default"], 3),
                      "default_mode": report.mode,
                      "course_loop_full_784_10_10_s": round(median["peer_full"], 3),
                      "course_loop_full_784_256_128_10_s_estimated": round(peer_large, 1),
                      "speedup_full": round(median["peer_full"] / median["full"], 2),
                      "data": source, "examples": int(X.shape[1]), "repeats": args.repeats}))


if __name__ == "__main__":
    main()
