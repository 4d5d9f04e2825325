"""What ``vg.LivePlot`` costs: epochs of the MNIST MLP with and without live curves, run in
a real Jupyter kernel (nbclient), where the callback draws and sends every update.

    python benchmarks/live_plot_overhead.py [--repeats 5] [--epochs 1] [--threads 1]

The network is the MNIST benchmark's: 784-256-128-10 ReLU, Adam 1e-3, mini-batches of 128,
all 60,000 training images (469 steps per epoch), validation on the 10,000 test images
after each epoch, verbose=0. Contenders, interleaved in each repeat (the order alternates),
each training a fresh model with the same seed for ``--epochs`` epochs:

- plain: no callback;
- live (default): ``LivePlot()``, which redraws once a second inside an epoch and at its end;
- live every 50 steps: ``LivePlot(every=50)``, 10 drawings per epoch;
- live every 10 steps: ``LivePlot(every=10)``, 47 drawings per epoch.

The cost is measured two ways: the time spent inside the callback's hooks (a stopwatch
around each: drawing, building the HTML, sending the update to the notebook) as a share of
the fit's time, and the wall-clock difference (live − plain) / plain of the median fit
times, which on a loaded machine is mostly noise. The kernel also times one drawing alone
(the SVG of the last run and its HTML). The last line is one JSON object with the figures.
"""
import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from _common import REPO, default_data_dir


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(),
                        help="folder holding mnist/ (default: $VERIGRAD_DATA or ../shared/data)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads in the kernel")
    return parser.parse_args()


SETUP = """
import json, time
import numpy as np
import verigrad as vg
from verigrad.display.svg import curves_svg

X, Y, X_test, Y_test = vg.data.load_mnist({data!r})

class Timed(vg.LivePlot):
    # LivePlot with a stopwatch around every hook: the time the callback takes
    spent = 0.0

    def _timed(self, hook, *args):
        start = time.perf_counter()
        getattr(super(), hook)(*args)
        self.spent += time.perf_counter() - start

    def on_train_begin(self, *args):
        self._timed("on_train_begin", *args)

    def on_epoch_begin(self, *args):
        self._timed("on_epoch_begin", *args)

    def on_step_end(self, *args):
        self._timed("on_step_end", *args)

    def on_epoch_end(self, *args):
        self._timed("on_epoch_end", *args)


def run(kind):
    model = vg.mlp([784, 256, 128, 10], seed=0)
    callbacks = {{"plain": [], "live (default)": [Timed()],
                 "live every 50 steps": [Timed(every=50)],
                 "live every 10 steps": [Timed(every=10)]}}[kind]
    start = time.perf_counter()
    history = model.fit(X, Y, epochs={epochs}, batch_size=128, optimizer=vg.Adam(1e-3),
                        validation_data=(X_test, Y_test), callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - start
    if not callbacks:
        return seconds, 0, 0.0, history
    return seconds, callbacks[0].drawings, callbacks[0].spent, history
"""

LOOP = """
kinds = ["plain", "live (default)", "live every 50 steps", "live every 10 steps"]
results = {{k: [] for k in kinds}}
drawings = {{k: [] for k in kinds}}
spent = {{k: [] for k in kinds}}
for repeat in range({repeats}):
    for kind in (kinds if repeat % 2 == 0 else kinds[::-1]):
        seconds, n, in_callback, history = run(kind)
        results[kind].append(seconds)
        drawings[kind].append(n)
        spent[kind].append(in_callback)
plot = vg.LivePlot()
plot.on_train_begin(None, history)
start = time.perf_counter()
for _ in range(20):
    plot._html("status", spikes=False)
draw = (time.perf_counter() - start) / 20
start = time.perf_counter()
for _ in range(5):
    plot._html("status", spikes=True)
draw_spikes = (time.perf_counter() - start) / 5
print("RESULT " + json.dumps({{"seconds": results, "drawings": drawings, "spent": spent,
                               "draw": draw,
                               "draw_spikes": draw_spikes,
                               "steps": len(history.step_cost)}}))
"""


def main():
    args = parse_args()
    import nbclient
    import nbformat

    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(SETUP.format(data=str(args.data / "mnist"),
                                               epochs=args.epochs)),
        nbformat.v4.new_code_cell(LOOP.format(repeats=args.repeats))])
    nbclient.NotebookClient(notebook, timeout=3600, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for o in notebook.cells[1].outputs
                   if o.output_type == "stream")
    found = json.loads(text.split("RESULT ", 1)[1])
    medians = {kind: statistics.median(ts) for kind, ts in found["seconds"].items()}
    plain = medians["plain"]
    print(f"MNIST MLP 784-256-128-10, {found['steps']} steps in {args.epochs} epoch(s) per "
          f"fit, {args.repeats} repeats, {args.threads} BLAS thread(s), in a Jupyter kernel; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("\n| contender | fit seconds (median) | drawings | in the callback | share of the "
          "fit | wall-clock difference | runs |")
    print("|---|---|---|---|---|---|---|")
    figures = {"repeats": args.repeats, "epochs": args.epochs, "threads": args.threads,
               "draw_ms": round(1e3 * found["draw"], 3),
               "draw_with_spikes_ms": round(1e3 * found["draw_spikes"], 3)}
    for kind, median in medians.items():
        overhead = median / plain - 1
        spent = statistics.median(found["spent"][kind])
        share = statistics.median(s / t for s, t in zip(found["spent"][kind],
                                                          found["seconds"][kind]))
        runs = ", ".join(f"{t:.2f}" for t in found["seconds"][kind])
        print(f"| {kind} | {median:.2f} | {found['drawings'][kind][0]} | {spent:.3f} s | "
              f"{share:.2%} | {overhead:+.1%} | {runs} |")
        key = kind.replace("live ", "live_").replace("(default)", "default").replace(" ", "_")
        figures[f"{key}_seconds"] = round(median, 3)
        if kind != "plain":
            figures[f"{key}_callback_share"] = round(share, 5)
            figures[f"{key}_wall_overhead"] = round(overhead, 4)
            figures[f"{key}_drawings"] = found["drawings"][kind][0]
    print(f"\none drawing: {1e3 * found['draw']:.1f} ms ({1e3 * found['draw_spikes']:.1f} ms "
          f"with the spike search at an epoch's end)")
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
