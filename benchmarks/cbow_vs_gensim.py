"""verigrad's CBOW against gensim's Word2Vec(sg=0): speed and embedding quality.

Both read each corpus as a stream of lines (the Gutenberg corpus straight from its gzip
file), split by ``verigrad.course.tokenize.simple_tokenize`` (lower-cased runs of letters), with
the same vector_size, window, negative, min_count, sample, epochs and 2 threads.

Effective words are the words actually trained (after dropping rare words and
subsampling), summed over epochs; words/s divides them by the whole wall time of
vocabulary scan plus training.  The contenders run one after the other, interleaved
when repeated, and medians are reported.  The last line is one JSON object.

    python benchmarks/cbow_vs_gensim.py [--repeats 1] [--epochs 5] [--skip-numpy]
                                        [--in-memory]
"""
import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from verigrad.course.tokenize import simple_tokenize  # noqa: E402
from verigrad.word2vec import CBOW  # noqa: E402

TEXT = REPO.parent / "shared" / "data" / "text"
CORPORA = {
    "tinyshakespeare": TEXT / "tinyshakespeare" / "input.txt",
    "lee_background": TEXT / "lee_background.cor",
    "gutenberg_train": TEXT / "corpus" / "gutenberg_train.txt.gz",
}


class LineStream:
    """Re-iterable token lists, one per line, read from the file on every pass."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rt", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                yield simple_tokenize(line)


def evaluate(wv_pairs, wv_analogies, analogies):
    """Spearman and OOV ratio on WordSim-353 and SimLex-999, analogy accuracy."""
    result = {}
    for name, file in [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")]:
        spearman, oov = wv_pairs(TEXT / file)
        result[name] = {"spearman": round(spearman, 4), "oov_ratio": round(oov, 2)}
    if analogies:
        result["analogies"] = round(wv_analogies(TEXT / "questions-words.txt"), 4)
    return result


def run_verigrad(corpus, args, backend, analogies, epochs=None):
    started = time.perf_counter()
    model = CBOW(vector_size=args.dim, window=args.window, negative=args.negative,
                 min_count=args.min_count, sample=args.sample, epochs=epochs or args.epochs,
                 workers=args.threads, seed=1, backend=backend, progress=False).fit(corpus)
    seconds = time.perf_counter() - started

    def pairs(file):
        r = model.evaluate_word_pairs(file)
        return r["spearman"], r["oov_ratio"]
    return {"seconds": round(seconds, 2), "words": model.stats["trained_words"],
            "words_per_s": model.stats["trained_words"] / seconds,
            "quality": evaluate(pairs, lambda f: model.evaluate_word_analogies(f)["accuracy"],
                                analogies)}


def run_gensim(stream, args, analogies):
    from gensim.models import Word2Vec
    started = time.perf_counter()
    model = Word2Vec(vector_size=args.dim, window=args.window, negative=args.negative,
                     min_count=args.min_count, sample=args.sample, sg=0,
                     workers=args.threads, seed=1)
    model.build_vocab(stream)
    trained, _ = model.train(stream, total_examples=model.corpus_count, epochs=args.epochs)
    seconds = time.perf_counter() - started

    def pairs(file):
        _, spearman, oov = model.wv.evaluate_word_pairs(str(file))
        return float(spearman.statistic), float(oov)
    return {"seconds": round(seconds, 2), "words": trained, "words_per_s": trained / seconds,
            "quality": evaluate(pairs,
                                lambda f: model.wv.evaluate_word_analogies(str(f))[0],
                                analogies)}


def median_run(runs):
    best = sorted(runs, key=lambda r: r["words_per_s"])[len(runs) // 2]
    return dict(best, words_per_s=round(statistics.median(r["words_per_s"] for r in runs)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs per contender (median)")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-numpy", action="store_true",
                        help="skip the NumPy reference (1 epoch only on the large corpus)")
    parser.add_argument("--in-memory", action="store_true",
                        help="also train both on the large corpus held in memory as token "
                             "lists (about 2 GB)")
    args = parser.parse_args()

    # Imports, numba's compiled-kernel cache and gensim's first thread pool are paid
    # here, before any timing.
    warm = [["warm", "up", "words"] * 4] * 20
    from gensim.models import Word2Vec
    Word2Vec(warm, min_count=1, epochs=1, workers=args.threads)
    for backend in ("numba", "numpy"):
        CBOW(min_count=1, epochs=1, backend=backend, progress=False).fit(warm)

    report = {}
    for name, path in CORPORA.items():
        large = name == "gutenberg_train"
        runs = {"gensim": [], "verigrad_numba": []}
        for _ in range(args.repeats):
            runs["gensim"].append(run_gensim(LineStream(path), args, large))
            runs["verigrad_numba"].append(run_verigrad(path, args, "numba", large))
        if not args.skip_numpy:
            # On the large corpus one epoch measures the speed in reasonable time; its
            # quality is then not comparable.
            runs["verigrad_numpy"] = [run_verigrad(path, args, "numpy", False,
                                                   epochs=1 if large else None)]
        if large and args.in_memory:
            # The same tokens held in memory: no tokenising during gensim's epochs, so
            # this compares the training kernels themselves.
            sentences = list(LineStream(path))
            runs["gensim_in_memory"] = [run_gensim(sentences, args, large)]
            runs["verigrad_numba_in_memory"] = [run_verigrad(sentences, args, "numba", large)]
            del sentences
        report[name] = {who: median_run(r) for who, r in runs.items()}
        gensim_speed = report[name]["gensim"]["words_per_s"]
        for who, result in report[name].items():
            result["ratio_to_gensim"] = round(result["words_per_s"] / gensim_speed, 3)
            print(f"{name:16s} {who:15s} {result['words_per_s'] / 1e6:6.3f} M words/s "
                  f"({result['ratio_to_gensim']:.2f}x gensim, {result['seconds']} s)  "
                  f"{json.dumps(result['quality'])}", flush=True)

    big = report["gutenberg_train"]
    summary = {
        "ratio": big["verigrad_numba"]["ratio_to_gensim"],
        "verigrad_words_per_s": big["verigrad_numba"]["words_per_s"],
        "gensim_words_per_s": big["gensim"]["words_per_s"],
        "verigrad_spearman": big["verigrad_numba"]["quality"]["wordsim353"]["spearman"],
        "gensim_spearman": big["gensim"]["quality"]["wordsim353"]["spearman"],
        "verigrad_simlex_spearman": big["verigrad_numba"]["quality"]["simlex999"]["spearman"],
        "gensim_simlex_spearman": big["gensim"]["quality"]["simlex999"]["spearman"],
        "numpy_ratio": big["verigrad_numpy"]["ratio_to_gensim"] if "verigrad_numpy" in big
        else None,
        "corpora": report,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
