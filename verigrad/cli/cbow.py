"""``verigrad cbow``: train CBOW word embeddings, query them, evaluate them."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import values
from .common import CommandError, HelpFormatter
from .output import check_output_folder, staged_run

if TYPE_CHECKING:
    from ..word2vec import CBOW
    from .common import Subparsers

#: the files 'cbow train' may write to --out
RUN_FILES = ("config.json", "weights.npz", "vectors.txt", "pca.png")


def add_cbow_commands(subparsers: Subparsers) -> None:
    """Add the ``cbow`` command (train / similar / eval) to the main parser."""
    cbow = subparsers.add_parser(
        "cbow", help="CBOW word embeddings (word2vec continuous bag of words)",
        description="Train CBOW word embeddings, query and evaluate them.",
        formatter_class=HelpFormatter)
    commands = cbow.add_subparsers(dest="cbow_command", metavar="SUBCOMMAND", required=True)

    train = commands.add_parser(
        "train", help="train embeddings on a corpus and save them to a directory",
        description="Train on CORPUS, a text file (optionally .gz) with one sentence or "
                    "paragraph per line, split into lower-cased runs of letters.",
        formatter_class=HelpFormatter)
    train.add_argument("corpus", metavar="CORPUS", help="text file, .gz allowed")
    train.add_argument("--out", required=True, metavar="DIR", type=Path,
                       help="directory for config.json, weights.npz and vectors.txt")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the model already in --out (without it, a folder holding "
                            "one is refused); its files are replaced once training is done")
    train.add_argument("--dim", type=values.positive_int, default=100, help="embedding size N")
    train.add_argument("--window", type=values.positive_int, default=5,
                       help="context words on each side")
    train.add_argument("--loss", choices=["negative", "softmax"], default="negative",
                       help="negative sampling or the course's full softmax model")
    train.add_argument("--negative", type=values.positive_int, default=None,
                       help="noise words per example (default: 5)")
    train.add_argument("--min-count", type=values.positive_int, default=5,
                       help="drop words seen fewer times")
    train.add_argument("--sample", type=values.rate, default=1e-3,
                       help="frequent-word subsampling threshold, 0 for none")
    train.add_argument("--alpha", type=values.positive, default=0.025,
                       help="initial learning rate")
    train.add_argument("--min-alpha", type=values.positive, default=1e-4,
                       help="final learning rate")
    train.add_argument("--epochs", type=values.positive_int, default=5,
                       help="passes over the corpus")
    train.add_argument("--batch-size", type=values.positive_int, default=1024,
                       help="examples per vectorised NumPy step")
    train.add_argument("--workers", type=values.positive_int, default=2, help="training threads")
    train.add_argument("--seed", type=values.seed, default=1, help="random seed")
    train.add_argument("--backend", choices=["auto", "numba", "numpy"], default="auto",
                       help="numba kernel, NumPy reference, or auto: numba when installed")
    train.add_argument("--plot", nargs="+", metavar="WORD",
                       help="also save pca.png, a PCA scatter plot of these words")
    train.set_defaults(handler=_train)

    similar = commands.add_parser("similar", help="nearest words to WORD",
                                  description="Print the words nearest to WORD by cosine.",
        formatter_class=HelpFormatter)
    similar.add_argument("model", metavar="DIR", type=Path,
                         help="directory written by 'cbow train'")
    similar.add_argument("word", metavar="WORD", help="a word of the model's vocabulary")
    similar.add_argument("--topn", type=values.positive_int, default=10, help="how many words")
    similar.set_defaults(handler=_similar)

    evaluate = commands.add_parser(
        "eval", help="word-similarity correlations and analogy accuracy",
        description="Evaluate saved embeddings; prints one JSON object.",
        formatter_class=HelpFormatter)
    evaluate.add_argument("model", metavar="DIR", help="directory written by 'cbow train'")
    evaluate.add_argument("--pairs", nargs="*", default=None, metavar="FILE",
                          help="word-pair files (word1 TAB word2 TAB score), e.g. WordSim-353")
    evaluate.add_argument("--analogies", nargs="*", default=None, metavar="FILE",
                          help="analogy files (': section' lines, then 'a b c d')")
    evaluate.set_defaults(handler=_evaluate)


def _train(args: argparse.Namespace) -> int:
    from ..diagnostics import TrainingDiverged
    from ..word2vec import CBOW
    if args.min_alpha > args.alpha:
        raise CommandError(f"--min-alpha {args.min_alpha} must not exceed --alpha {args.alpha}")
    if args.negative is None:
        args.negative = 5
    elif args.loss != "negative":
        raise CommandError("--negative applies only with --loss negative")
    corpus = Path(args.corpus)
    if not corpus.is_file():
        raise CommandError(f"CORPUS {corpus} is not a file")
    previous = check_output_folder(args.out, "--out", RUN_FILES, args.overwrite)
    if args.plot:
        _require_matplotlib()
    model = CBOW(vector_size=args.dim, window=args.window, loss=args.loss,
                 negative=args.negative, min_count=args.min_count, sample=args.sample,
                 alpha=args.alpha, min_alpha=args.min_alpha, epochs=args.epochs,
                 batch_size=args.batch_size, workers=args.workers, seed=args.seed,
                 backend=args.backend)
    try:
        model.fit(corpus)
    except ValueError as err:   # a corpus that cannot be read, or too few words
        raise CommandError(str(err)) from err
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    with staged_run(args.out, previous) as folder:
        model.save(folder)
        if args.plot:
            known = [word for word in args.plot if model.wv is not None and word in model.wv]
            unknown = sorted(set(args.plot) - set(known))
            if unknown:
                print(f"warning: --plot: not in the vocabulary, left out: {' '.join(unknown)}",
                      file=sys.stderr)
            if len(known) >= 2:
                model.plot(known, folder / "pca.png")
            else:
                print("warning: --plot: no pca.png, it needs 2 or more words of the "
                      "vocabulary", file=sys.stderr)
    print(json.dumps(model.stats))
    return 0


def _require_matplotlib() -> None:
    from ..plots import require_matplotlib
    try:
        require_matplotlib()
    except ImportError as err:
        raise CommandError(f"--plot: {err}") from None


def _load(directory: str) -> CBOW:
    from ..word2vec import CBOW
    try:
        return CBOW.load(directory)
    except (OSError, ValueError) as err:
        raise CommandError(f"DIR: {err}") from None


def _similar(args: argparse.Namespace) -> int:
    model = _load(args.model)
    if model.wv is None or args.word not in model.wv:
        raise CommandError(f"WORD {args.word!r} is not in the vocabulary of {args.model} "
                           f"({len(model.words)} words)")
    for word, cosine in model.most_similar(args.word, args.topn):
        print(f"{word}\t{cosine:.4f}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    if not (args.pairs or args.analogies):
        raise CommandError("nothing to evaluate: give --pairs FILE ... or --analogies FILE ...")
    model = _load(args.model)
    report: dict[str, Any] = {}
    for flag, paths, evaluate in (("--pairs", args.pairs, model.evaluate_word_pairs),
                                  ("--analogies", args.analogies,
                                   model.evaluate_word_analogies)):
        for path in paths or []:
            try:
                result = evaluate(path)
            except (OSError, ValueError, UnicodeDecodeError) as err:
                raise CommandError(f"{flag} {path}: {err}") from None
            report[path] = {k: v for k, v in result.items() if k != "sections"}
    print(json.dumps(report, indent=2))
    return 0
