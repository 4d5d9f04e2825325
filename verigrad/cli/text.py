"""``verigrad train shakespeare`` (a character-level language model) and ``verigrad sample``
(text drawn from a trained one)."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._files import write_text
from ..callbacks import Callback
from ..data.chars import CharVocabulary, load_text, next_char_streams, next_char_windows
from ..diagnostics import Monitor, TrainingDiverged
from ..io import load
from ..layers import GRU, LSTM, RNN, Dense, Embedding, Layer
from ..layers.recurrent import Recurrent
from ..losses import SequenceSoftmaxCrossEntropy
from ..model import Sequential
from ..optim import AdamW, Optimizer, WarmupCosine
from ..sampling import sample_ids
from ..transformer_lm import gpt
from . import values
from .common import CommandError, HelpFormatter, make_optimizer, plain_warnings
from .output import (
    DIVERGED,
    check_output_folder,
    diverged_destination,
    staged_run,
    write_json,
)

if TYPE_CHECKING:
    from ..callbacks import History
    from .common import Subparsers

TEXT_DATASETS = ("shakespeare",)
CELLS: dict[str, Callable[..., Recurrent]] = {"lstm": LSTM, "gru": GRU, "rnn": RNN}
#: --model for text: a recurrent cell, or a GPT (``vg.gpt``)
LANGUAGE_MODELS = (*sorted(CELLS), "transformer")
#: the defaults --model transformer uses instead (--embedding is d_model, --seq-len the
#: block size; AdamW with weight decay 0.1 and a warm-up + cosine schedule per step)
TRANSFORMER_DEFAULTS: dict[str, Any] = {"epochs": 10, "batch_size": 32, "lr": 1e-3,
                                        "clip_norm": 1.0, "embedding": 128, "seq_len": 128}
TRANSFORMER_SHAPE: dict[str, Any] = {"num_heads": 4, "num_layers": 4, "weight_decay": 0.1,
                                     "warmup_steps": 100}
#: defaults of ``verigrad train shakespeare`` for the options the data sets share
TEXT_DEFAULTS: dict[str, Any] = {"hidden": [256], "epochs": 2, "batch_size": 64,
                                 "val_size": 100_000, "lr": 2e-3, "clip_norm": 5.0,
                                 "schedule": "none"}
#: the options only ``verigrad train shakespeare`` takes, and their defaults
TEXT_OPTIONS = {"embedding": 64, "seq_len": 100}
#: the files a language-model run may write to --out
RUN_FILES = (DIVERGED, "model.npz", "vocab.json", "history.json", "config.json", "curves.png",
             "diagnostics.txt")


def add_text_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``verigrad train shakespeare``; --data names the text file there."""
    text = p.add_argument_group(
        "text (verigrad train shakespeare: Embedding → LSTM/GRU/RNN per --hidden size → "
        "Dense over every step → softmax cross-entropy per character; defaults --hidden 256 "
        "--epochs 2 --batch-size 64 --lr 2e-3 (adam) --clip-norm 5, --val-size 100000 characters "
        "from the end of the text, --train-size N keeps the first N characters, --data FILE "
        "the text, default $VERIGRAD_DATA/text/tinyshakespeare/input.txt; windows of the "
        "text in random order, or in order with --stateful)")
    text.add_argument("--embedding", type=values.positive_int, default=None,
                      help="size of the character vectors (default: 64)")
    text.add_argument("--seq-len", type=values.positive_int, default=None,
                      help="characters per training sequence (backpropagation through time "
                           "spans this many steps) (default: 100)")
    text.add_argument("--stateful", action="store_true",
                      help="truncated BPTT: the text is read as --batch-size streams side by "
                           "side, in order, each batch starting from the states the one before "
                           "it ended with (states reset each epoch)")


def add_sample_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sample", help="print text drawn from a language model trained by verigrad train",
        description="Load RUN_DIR/model.npz and RUN_DIR/vocab.json (written by 'verigrad "
                    "train shakespeare') and print --length characters drawn one at a time, "
                    "each fed back in as the next input.",
        formatter_class=HelpFormatter)
    p.add_argument("run_dir", type=Path, help="folder of a trained language model")
    p.add_argument("--length", type=values.positive_int, default=500,
                   help="characters to draw")
    p.add_argument("--temperature", type=values.positive, default=0.8,
                   help="below 1: safer, more repetitive text; above 1: more random")
    p.add_argument("--seed", type=values.seed, default=0, help="seed of the draws")
    p.add_argument("--prime", default="\n",
                   help="text read before drawing (printed too), to set the states")
    p.set_defaults(handler=run_sample)


def check_text_options(args: argparse.Namespace) -> None:
    """Refuse the language model's options for another data set (they would be ignored)."""
    given = [f"--{key.replace('_', '-')}" for key in TEXT_OPTIONS
             if getattr(args, key) is not None] + (["--stateful"] if args.stateful else [])
    if given and args.dataset not in TEXT_DATASETS:
        raise CommandError(f"{given[0]} applies only to 'verigrad train shakespeare'")


def run_train_text(args: argparse.Namespace) -> int:
    args.model = args.model or "lstm"
    if args.model not in LANGUAGE_MODELS:
        raise CommandError(f"--model {args.model} is for image data sets; a language model "
                           f"takes {', '.join(LANGUAGE_MODELS)}")
    if args.model == "transformer":
        if args.stateful:
            raise CommandError("--stateful is for the recurrent models: a transformer reads "
                               "each window whole")
        if getattr(args, "hidden", None) is not None:
            raise CommandError("--hidden is for the recurrent models: a transformer's width "
                               "is --embedding")
        if args.optimizer == "adam" and getattr(args, "schedule", None) not in (None, "none"):
            raise CommandError(f"--schedule {args.schedule} does not apply to --model "
                               f"transformer with adam: it trains with AdamW, a warm-up and "
                               f"a cosine decay per step (--optimizer sgd, momentum, ... "
                               f"take --schedule)")
        for key, value in TRANSFORMER_DEFAULTS.items():
            if getattr(args, key, None) is None and (key != "lr" or args.optimizer == "adam"):
                setattr(args, key, value)
        if args.optimizer == "adam":  # config.json says what the run used
            args.schedule = "warmup-cosine"
            args.optimizer = "adamw"
    for key, value in TEXT_DEFAULTS.items():
        if args.model == "transformer" and key == "hidden":
            continue  # a transformer's width is --embedding
        if getattr(args, key, None) is None and (key != "lr" or args.optimizer == "adam"):
            setattr(args, key, value)
    for key, value in TEXT_OPTIONS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    out = args.out or Path("runs") / f"{args.dataset}-{args.model}"
    previous = check_output_folder(out, "--out", RUN_FILES, args.overwrite)
    try:
        text = load_text(args.data)
    except (OSError, ValueError) as err:
        raise CommandError(f"--data: {err}") from None
    text = text[:args.train_size] if args.train_size else text
    vocab = CharVocabulary.from_text(text)
    ids = vocab.encode(text)
    if not 0 <= args.val_size < len(ids) // 2:
        raise CommandError(f"--val-size {args.val_size} must be below half the text "
                           f"({len(ids)} characters)")
    cut = len(ids) - args.val_size
    try:
        X, Y = (next_char_streams(ids[:cut], args.seq_len, args.batch_size) if args.stateful
                else next_char_windows(ids[:cut], args.seq_len))
        validation = next_char_windows(ids[cut:], args.seq_len) if args.val_size else None
    except ValueError as err:
        raise CommandError(f"{err} (see --seq-len, --batch-size, --val-size)") from None
    model = language_model(vocab.size, args)
    optimizer: Optimizer
    if args.optimizer == "adamw":  # the transformer's: warm-up and cosine decay per step
        steps = args.epochs * -(-X.shape[1] // args.batch_size)
        warmup = min(TRANSFORMER_SHAPE["warmup_steps"], max(1, steps // 10))
        optimizer = AdamW(args.lr, weight_decay=TRANSFORMER_SHAPE["weight_decay"],
                          schedule=WarmupCosine(warmup, max(steps, warmup + 1)),
                          clip_norm=args.clip_norm)
    else:
        optimizer = make_optimizer(args)
    if not args.quiet:
        print(model.summary())
        print(f"optimizer: {optimizer!r}  {len(text):,} characters, vocabulary of "
              f"{vocab.size}; training on {X.shape[1]:,} sequences of {args.seq_len}, "
              f"validating on {0 if validation is None else validation[0].shape[1]:,}")
    monitor = Monitor(verbose=0) if args.diagnose else None
    try:
        with plain_warnings():
            history = model.fit(X, Y, epochs=args.epochs, batch_size=args.batch_size,
                                optimizer=optimizer, validation_data=validation,
                                seed=args.seed, verbose=0 if args.quiet else 1,
                                shuffle=not args.stateful, threads=args.threads,
                                callbacks=[ResetStates()] + ([monitor] if monitor else []))
    except TrainingDiverged as err:
        assert err.history is not None  # fit attaches the history of the finished epochs
        where, earlier = diverged_destination(out, previous)
        with staged_run(where, earlier) as folder:
            written = _save_run(args, folder, model, vocab, err.history, {"diverged": str(err)})
        print(f"error: {err}", file=sys.stderr)
        print(f"wrote {', '.join(written)} to {where} (the weights and curves up to the last "
              f"finished epoch){'' if where == out else f'; the earlier run in {out} is kept'}",
              file=sys.stderr)
        return 1
    except ImportError as err:  # --threads without threadpoolctl
        raise CommandError(str(err)) from None
    loss = history.val_cost[-1] if history.val_cost else history.cost[-1]
    with staged_run(out, previous) as folder:
        written = _save_run(args, folder, model, vocab, history, {},
                            title=f"{args.dataset}, {args.model}: loss per character "
                                  f"{loss:.3f}")
        if monitor is not None:
            write_text(folder / "diagnostics.txt", monitor.table() + "\n")
            written.append("diagnostics.txt")
    which = "validation" if history.val_cost else "training"
    print(f"{which} loss per character: {loss:.4f} nats ({loss / np.log(2):.3f} bits)   "
          f"seconds/epoch: {np.median(history.seconds):.1f}")
    print(f"wrote {', '.join(written)} to {out}")
    print(f"sample: verigrad sample {out} --length 500 --temperature 0.8 --seed 0")
    return 0


class ResetStates(Callback):
    """Stateful recurrent layers start every epoch from zeros (the text starts again)."""

    def on_epoch_begin(self, model: Sequential, epoch: int) -> None:
        for layer in model.layers:
            if isinstance(layer, Recurrent):
                layer.reset_state()


def _save_run(args: argparse.Namespace, out: Path, model: Sequential, vocab: CharVocabulary,
              history: History, results: dict[str, Any], title: str | None = None) -> list[str]:
    """Write the model, vocabulary, history, config and curves to ``out``; the names."""
    model.save(out / "model.npz")
    vocab.save(out / "vocab.json")
    history.save(out / "history.json")
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k != "handler"}
    write_json(out / "config.json", {**config, **results})
    written = ["model.npz", "vocab.json", "history.json", "config.json"]
    if not history.epochs:
        return written
    try:
        from ..plots import plot_history
        plot_history(history, out / "curves.png", title=title or args.dataset)
        written.append("curves.png")
    except ImportError as err:
        print(f"note: no plot written ({err})", file=sys.stderr)
    return written


def language_model(vocab_size: int, args: argparse.Namespace) -> Sequential:
    """Embedding → one recurrent layer per --hidden size → Dense at every step; or, for
    --model transformer, ``vg.gpt`` with d_model --embedding and block size --seq-len."""
    if args.model == "transformer":
        return gpt(vocab_size, args.embedding, TRANSFORMER_SHAPE["num_heads"],
                   TRANSFORMER_SHAPE["num_layers"], block_size=args.seq_len, l2=args.l2,
                   dtype=args.dtype, seed=args.seed)
    cell = CELLS[args.model]
    layers: list[Layer] = [Embedding(vocab_size, args.embedding)]
    n = args.embedding
    for n_a in args.hidden:
        layers.append(cell(n, n_a, stateful=args.stateful))
        n = n_a
    layers.append(Dense(n, vocab_size, init="xavier"))
    return Sequential(layers, loss=SequenceSoftmaxCrossEntropy(), l2=args.l2, dtype=args.dtype,
                      seed=args.seed)


def run_sample(args: argparse.Namespace) -> int:
    try:
        model = load(args.run_dir / "model.npz")
        vocab = CharVocabulary.load(args.run_dir / "vocab.json")
    except (OSError, ValueError) as err:
        raise CommandError(str(err)) from None
    if not isinstance(model.loss, SequenceSoftmaxCrossEntropy) or model.n_out != vocab.size:
        raise CommandError(f"{args.run_dir} does not hold a language model and its vocabulary "
                           f"(model.npz has {model.n_out} outputs, vocab.json "
                           f"{vocab.size} characters): a folder of 'verigrad train "
                           f"shakespeare'?")
    try:
        start = vocab.encode(args.prime)
        drawn = sample_ids(model, start, args.length, args.temperature, args.seed)
    except ValueError as err:
        raise CommandError(f"--prime {args.prime!r:.40}: {err}") from None
    print(args.prime + vocab.decode(drawn))
    return 0
