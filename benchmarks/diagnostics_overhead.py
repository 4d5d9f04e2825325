"""What the NaN/inf guard and the diagnostics Monitor cost per epoch of MNIST training.

Three copies of the 784-256-128-10 ReLU network of ``verigrad train mnist`` (same initial
weights; Adam 1e-3, batch 128, dropout 0.2, float32, 55,000 training examples) train one
epoch at a time in turn, in rotating order, so machine noise hits all alike:

    unguarded   fit(guard=False): no checks at all
    guarded     fit() as by default: the guard (precursor checks on a few steps, the cost
                checked on every step, the parameters after every epoch)
    monitored   fit(callbacks=[Monitor()]), as ``verigrad train --diagnose``

Reported: median seconds per epoch of each and the ratios guarded/unguarded and
monitored/guarded. The time is the process's CPU time with single-threaded BLAS by default:
on a shared, noisy machine wall-clock epochs vary by 2× or more, which would hide a 1%
difference; CPU time of one thread does not count the time other processes hold the cores.

    python benchmarks/diagnostics_overhead.py [--rounds 5] [--threads 1] [--wall] [--data DIR]

The last line printed is one JSON object with the figures.
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="epochs per contender")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--wall", action="store_true", help="time wall clock, not CPU time")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "VERIGRAD_DATA", REPO.parent / "shared" / "data")))
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy loads its BLAS
    import verigrad as vg
    from verigrad.diagnostics import Monitor
    clock = time.perf_counter if args.wall else time.process_time
    X, Y, _, _ = vg.data.load_mnist(args.data / "mnist")
    X, Y = X[:, :55000].copy(order="F"), Y[:55000]
    contenders = {
        "unguarded": {"guard": False},
        "guarded": {},
        "monitored": {"callbacks": [Monitor(verbose=0)]},
    }
    models = {name: vg.mlp([784, 256, 128, 10], dropout=0.2, seed=0) for name in contenders}
    optimizers = {name: vg.Adam(1e-3) for name in contenders}
    seconds = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(args.rounds):
        for name in names[r % 3:] + names[:r % 3]:
            start = clock()
            models[name].fit(X, Y, epochs=1, batch_size=128, optimizer=optimizers[name],
                             seed=r, verbose=0, **contenders[name])
            seconds[name].append(clock() - start)
        print(f"round {r + 1}: " + "  ".join(f"{n} {seconds[n][-1]:.2f} s" for n in names),
              flush=True)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    figures = {"seconds_per_epoch": median, "clock": "wall" if args.wall else "cpu",
               "threads": args.threads,
               "guard_ratio": median["guarded"] / median["unguarded"],
               "monitor_ratio": median["monitored"] / median["guarded"],
               "rounds": args.rounds}
    for name in names:
        print(f"{name:>10}: {median[name]:.3f} s/epoch (median of {args.rounds})")
    print(f"guard overhead:   guarded/unguarded = {figures['guard_ratio']:.3f}")
    print(f"monitor overhead: monitored/guarded = {figures['monitor_ratio']:.3f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
