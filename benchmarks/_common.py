"""What the MNIST benchmarks share: the data folder, peak RSS, and the lockstep protocol.

In a lockstep run each contender trains in its own worker process (this same script started
with ``--worker NAME``); the parent tells the workers to train one epoch at a time, in
alternating order, so machine noise hits both alike. A worker answers each command with one
JSON line; after its last epoch it sends its final figures unasked.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def default_data_dir():
    """$VERIGRAD_DATA, or ``shared/data`` beside the repository."""
    env = os.environ.get("VERIGRAD_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def peak_rss_mb():
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- workers ------------------------------------------------------------------------------

def send(obj):
    print(json.dumps(obj), flush=True)


def wait_for(command):
    line = sys.stdin.readline().strip()
    if line != command:
        raise SystemExit(f"worker expected {command!r}, got {line!r}")


def lockstep_callback(vg, gemm_floor):
    """A verigrad callback that trains one epoch each time the parent says ``epoch`` and
    reports its time, and answers ``gemm`` in between with ``gemm_floor()`` seconds."""

    class Lockstep(vg.Callback):
        def on_epoch_begin(self, model, epoch):
            while (command := sys.stdin.readline().strip()) == "gemm":
                send({"seconds": gemm_floor()})
            if command != "epoch":
                raise SystemExit(f"worker expected 'epoch' or 'gemm', got {command!r}")

        def on_epoch_end(self, model, epoch, history):
            send({"seconds": history.seconds[-1]})

    return Lockstep()


def torch_lockstep(torch, net, X, Y, *, epochs, batch_size, lr, cosine=False):
    """Train the PyTorch ``net`` on examples X (m, ...) with labels Y (Adam, softmax
    cross-entropy, shuffled mini-batches), one epoch per ``epoch`` command. cosine: the
    learning rate follows a cosine over ``epochs``, set per epoch (``vg.CosineDecay``)."""
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs) if cosine else None
    loss_fn = torch.nn.CrossEntropyLoss()
    m = X.shape[0]
    send({"ready": True})
    for _ in range(epochs):
        wait_for("epoch")
        start = time.perf_counter()
        net.train()
        order = torch.randperm(m)
        for i in range(0, m, batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(X[idx]), Y[idx])
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        if schedule:
            schedule.step()
        send({"seconds": seconds})
    net.eval()


# ---- parent -------------------------------------------------------------------------------

class Worker:
    """One contender's worker process: ``script --worker kind *options`` with BLAS, OpenMP
    and numba limited to ``threads``."""

    def __init__(self, script, kind, options, threads):
        env = dict(os.environ, **{var: str(threads) for var in (
            "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")})
        command = [sys.executable, script, "--worker", kind, *options]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, env=env)
        self.receive()

    def ask(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.receive()

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker stopped (exit code {self.process.wait()})")
        return json.loads(line)


def run_lockstep(script, options, *, epochs, threads):
    """Run the ``verigrad`` and ``torch`` workers of ``script`` epoch by epoch, alternating
    who goes first, and time verigrad's GEMM floor before each epoch. Returns the seconds
    per epoch of each ({name: [s, ...]}), the floor's seconds, and each worker's final
    figures."""
    workers = {name: Worker(script, name, options, threads) for name in ("verigrad", "torch")}
    times = {name: [] for name in workers}
    gemm = []
    for epoch in range(epochs):
        gemm.append(workers["verigrad"].ask("gemm")["seconds"])
        order = list(workers) if epoch % 2 == 0 else list(workers)[::-1]
        for name in order:
            times[name].append(workers[name].ask("epoch")["seconds"])
        print(f"epoch {epoch + 1:>2}: verigrad {times['verigrad'][-1]:.3f} s   "
              f"torch {times['torch'][-1]:.3f} s   GEMM floor {gemm[-1]:.3f} s", flush=True)
    final = {name: worker.receive() for name, worker in workers.items()}
    for worker in workers.values():
        worker.process.wait()
    return times, gemm, final


def lockstep_figures(times, gemm, final):
    """The medians, ratio and floor multiple of a lockstep run, with the accuracies; prints
    the table of both contenders."""
    vg_s, torch_s = statistics.median(times["verigrad"]), statistics.median(times["torch"])
    floor = statistics.median(gemm)
    figures = {
        "verigrad_s_per_epoch": round(vg_s, 4), "torch_s_per_epoch": round(torch_s, 4),
        "ratio": round(vg_s / torch_s, 4),
        "gemm_floor_s": round(floor, 4), "gemm_floor_multiple": round(vg_s / floor, 4),
        "verigrad_accuracy": round(final["verigrad"]["accuracy"], 2),
        "torch_accuracy": round(final["torch"]["accuracy"], 2),
    }
    print()
    print(f"{'':<10}{'s/epoch (median)':>18}{'test accuracy':>15}{'peak RSS':>11}")
    for name in ("verigrad", "torch"):
        print(f"{name:<10}{statistics.median(times[name]):>18.3f}"
              f"{final[name]['accuracy']:>14.2f}%{final[name]['peak_rss_mb']:>8.0f} MB")
    print(f"ratio verigrad/torch: {figures['ratio']:.3f}   GEMM floor: {floor:.3f} s/epoch, "
          f"verigrad = {figures['gemm_floor_multiple']:.2f}x floor")
    return figures
