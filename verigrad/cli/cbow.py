"""``verigrad cbow``: train CBOW word embeddings, query them, evaluate them."""
import json

from . import HelpFormatter


def add_cbow_commands(subparsers):
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
    train.add_argument("--out", required=True, metavar="DIR",
                       help="directory for config.json, weights.npz and vectors.txt")
    train.add_argument("--dim", type=int, default=100, help="embedding size N")
    train.add_argument("--window", type=int, default=5,
                       help="context words on each side")
    train.add_argument("--loss", choices=["negative", "softmax"], default="negative",
                       help="negative sampling or the course's full softmax model")
    train.add_argument("--negative", type=int, default=5,
                       help="noise words per example")
    train.add_argument("--min-count", type=int, default=5,
                       help="drop words seen fewer times")
    train.add_argument("--sample", type=float, default=1e-3,
                       help="frequent-word subsampling threshold, 0 for none")
    train.add_argument("--alpha", type=float, default=0.025,
                       help="initial learning rate")
    train.add_argument("--min-alpha", type=float, default=1e-4,
                       help="final learning rate")
    train.add_argument("--epochs", type=int, default=5, help="passes over the corpus")
    train.add_argument("--batch-size", type=int, default=1024,
                       help="examples per vectorised NumPy step")
    train.add_argument("--workers", type=int, default=2, help="training threads")
    train.add_argument("--seed", type=int, default=1, help="random seed")
    train.add_argument("--backend", choices=["auto", "numba", "numpy"], default="auto",
                       help="numba kernel, NumPy reference, or auto: numba when installed")
    train.add_argument("--plot", nargs="+", metavar="WORD",
                       help="also save pca.png, a PCA scatter plot of these words")
    train.set_defaults(handler=_train)

    similar = commands.add_parser("similar", help="nearest words to WORD",
                                  description="Print the words nearest to WORD by cosine.",
        formatter_class=HelpFormatter)
    similar.add_argument("model", metavar="DIR", help="directory written by 'cbow train'")
    similar.add_argument("word", metavar="WORD", help="a word of the model's vocabulary")
    similar.add_argument("--topn", type=int, default=10, help="how many words")
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


def _train(args):
    from ..word2vec import CBOW
    model = CBOW(vector_size=args.dim, window=args.window, loss=args.loss,
                 negative=args.negative, min_count=args.min_count, sample=args.sample,
                 alpha=args.alpha, min_alpha=args.min_alpha, epochs=args.epochs,
                 batch_size=args.batch_size, workers=args.workers, seed=args.seed,
                 backend=args.backend)
    model.fit(args.corpus)
    model.save(args.out)
    if args.plot:
        model.plot(args.plot, f"{args.out}/pca.png")
    print(json.dumps(model.stats))
    return 0


def _similar(args):
    from ..word2vec import CBOW
    for word, cosine in CBOW.load(args.model).most_similar(args.word, args.topn):
        print(f"{word}\t{cosine:.4f}")
    return 0


def _evaluate(args):
    from ..word2vec import CBOW
    model = CBOW.load(args.model)
    report = {}
    for path in args.pairs or []:
        report[path] = model.evaluate_word_pairs(path)
    for path in args.analogies or []:
        result = model.evaluate_word_analogies(path)
        report[path] = {k: v for k, v in result.items() if k != "sections"}
    print(json.dumps(report, indent=2))
    return 0
