# ruff: noqa: E501  (the notebook's lines, as learners write them)
"""A makemore-part-4-style notebook (solved), its copies with one mistake each, and a names
list generated here (not the course's data): the fixtures of ``verigrad check`` on PyTorch
notebooks, and of docs/make_pytorch_table.py."""
import json
import random

SETUP = [
    "import torch\nimport torch.nn.functional as F\n%matplotlib inline",
    "words = open('names.txt', 'r').read().splitlines()\nprint(len(words))",
    "chars = sorted(list(set(''.join(words))))\nstoi = {s:i+1 for i,s in enumerate(chars)}\n"
    "stoi['.'] = 0\nitos = {i:s for s,i in stoi.items()}\nvocab_size = len(itos)",
    "block_size = 3\n\ndef build_dataset(words):\n  X, Y = [], []\n  for w in words:\n"
    "    context = [0] * block_size\n    for ch in w + '.':\n      ix = stoi[ch]\n"
    "      X.append(context)\n      Y.append(ix)\n      context = context[1:] + [ix]\n"
    "  return torch.tensor(X), torch.tensor(Y)\n\nimport random\nrandom.seed(42)\n"
    "random.shuffle(words)\nn1 = int(0.8*len(words))\nXtr, Ytr = build_dataset(words[:n1])\n"
    "Xdev, Ydev = build_dataset(words[n1:])",
    "def cmp(s, dt, t):\n  ex = torch.all(dt == t.grad).item()\n"
    "  app = torch.allclose(dt, t.grad)\n  maxdiff = (dt - t.grad).abs().max().item()\n"
    "  print(f'{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}')",
    "n_embd = 10\nn_hidden = 64\ng = torch.Generator().manual_seed(2147483647)\n"
    "C  = torch.randn((vocab_size, n_embd), generator=g)\n"
    "W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)\n"
    "b1 = torch.randn(n_hidden, generator=g) * 0.1\n"
    "W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1\n"
    "b2 = torch.randn(vocab_size, generator=g) * 0.1\n"
    "bngain = torch.randn((1, n_hidden))*0.1 + 1.0\nbnbias = torch.randn((1, n_hidden))*0.1\n"
    "parameters = [C, W1, b1, W2, b2, bngain, bnbias]\nfor p in parameters:\n"
    "  p.requires_grad = True",
    "batch_size = 32\nn = batch_size\n"
    "ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)\nXb, Yb = Xtr[ix], Ytr[ix]",
    "emb = C[Xb]\nembcat = emb.view(emb.shape[0], -1)\nhprebn = embcat @ W1 + b1\n"
    "bnmeani = 1/n*hprebn.sum(0, keepdim=True)\nbndiff = hprebn - bnmeani\nbndiff2 = bndiff**2\n"
    "bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True)\nbnvar_inv = (bnvar + 1e-5)**-0.5\n"
    "bnraw = bndiff * bnvar_inv\nhpreact = bngain * bnraw + bnbias\nh = torch.tanh(hpreact)\n"
    "logits = h @ W2 + b2\nlogit_maxes = logits.max(1, keepdim=True).values\n"
    "norm_logits = logits - logit_maxes\ncounts = norm_logits.exp()\n"
    "counts_sum = counts.sum(1, keepdims=True)\ncounts_sum_inv = counts_sum**-1\n"
    "probs = counts * counts_sum_inv\nlogprobs = probs.log()\n"
    "loss = -logprobs[range(n), Yb].mean()\n\nfor p in parameters:\n  p.grad = None\n"
    "for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes,\n"
    "          logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,\n"
    "          embcat, emb]:\n  t.retain_grad()\nloss.backward()\nloss",
]

EXERCISE_1 = """\
# Exercise 1: backprop through the whole thing manually
dlogprobs = torch.zeros_like(logprobs)
dlogprobs[range(n), Yb] = -1.0/n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
dhpreact = (1.0 - h**2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5*(bnvar + 1e-5)**-1.5) * dbnvar_inv
dbndiff2 = (1.0/(n-1))*torch.ones_like(bndiff2) * dbnvar
dbndiff += (2*bndiff) * dbndiff2
dhprebn = dbndiff.clone()
dbnmeani = (-dbndiff).sum(0, keepdim=True)
dhprebn += 1.0/n * (torch.ones_like(hprebn) * dbnmeani)
dembcat = dhprebn @ W1.T
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(0)
demb = dembcat.view(emb.shape)
dC = torch.zeros_like(C)
for k in range(Xb.shape[0]):
  for j in range(Xb.shape[1]):
    ix = Xb[k,j]
    dC[ix] += demb[k,j]

""" + "\n".join(f"cmp('{t}', d{t}, {t})" for t in (
    "logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits", "logit_maxes",
    "logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar",
    "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "W1", "b1", "emb", "C"))

EXERCISE_4 = """\
# Exercise 4: putting it all together
n_embd = 10
n_hidden = 64
g = torch.Generator().manual_seed(2147483647)
C  = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
b1 = torch.randn(n_hidden, generator=g) * 0.1
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
b2 = torch.randn(vocab_size, generator=g) * 0.1
bngain = torch.randn((1, n_hidden))*0.1 + 1.0
bnbias = torch.randn((1, n_hidden))*0.1
parameters = [C, W1, b1, W2, b2, bngain, bnbias]
for p in parameters:
  p.requires_grad = True
max_steps = 200000
batch_size = 32
n = batch_size
lossi = []
with torch.no_grad():
  for i in range(max_steps):
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True, unbiased=True)
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
      p.grad = None
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
      for j in range(Xb.shape[1]):
        ix = Xb[k,j]
        dC[ix] += demb[k,j]
    grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
    lr = 0.1 if i < 100000 else 0.01
    for p, grad in zip(parameters, grads):
      p.data += -lr * grad
    if i % 10000 == 0:
      print(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
    lossi.append(loss.log10().item())"""

AFTER = [
    "with torch.no_grad():\n  emb = C[Xtr]\n  embcat = emb.view(emb.shape[0], -1)\n"
    "  hpreact = embcat @ W1 + b1\n  bnmean = hpreact.mean(0, keepdim=True)\n"
    "  bnvar = hpreact.var(0, keepdim=True, unbiased=True)",
]

#: one mistake each: (kind, the tensor it is named at, the solved line, the wrong line)
MISTAKES = {
    "second_path": ("counts", "dcounts += torch.ones_like(counts) * dcounts_sum\n", ""),
    "scale": ("bndiff2", "dbndiff2 = (1.0/(n-1))*", "dbndiff2 = (1.0/n)*"),
    "tanh_derivative": ("hpreact", "dhpreact = (1.0 - h**2) * dh\ndbngain",
                        "dhpreact = (1.0 - hpreact**2) * dh\ndbngain"),
    "accumulate": ("C", "    dC[ix] += demb[k,j]\n\n", "    dC[ix] = demb[k,j]\n\n"),
    "shape": ("bnmeani", "dbnmeani = (-dbndiff).sum(0, keepdim=True)",
              "dbnmeani = (-dbndiff).sum(0)"),
    "sign": ("logprobs", "dlogprobs[range(n), Yb] = -1.0/n", "dlogprobs[range(n), Yb] = 1.0/n"),
    "transpose": ("W2", "dW2 = h.T @ dlogits\ndb2", "dW2 = dlogits.T @ h\ndb2"),
    "sum_axis": ("b2", "db2 = dlogits.sum(0)\ndhpreact", "db2 = dlogits.sum()\ndhpreact"),
}
#: the three mistakes of the documentation's table
DOC_MISTAKES = ("scale", "tanh_derivative", "second_path")


def names(count=400, seed=0):
    """Made-up names: random syllables, so that every letter and the end '.' occur."""
    rng = random.Random(seed)
    syllables = ["ka", "ly", "mo", "ra", "el", "an", "ie", "jo", "su", "bri", "ze", "qu", "vi",
                 "wen", "ox", "gh", "pe", "fa", "ci", "du", "ty", "na", "th", "is", "ab"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
            for _ in range(count)]


def notebook(mistakes=(), exercise_4_mistake=None):
    """The notebook's JSON text, with the named mistakes written into exercise 1 (and one
    written into exercise 4's loop: (solved, wrong) text)."""
    exercise_1 = EXERCISE_1
    for kind in mistakes:
        _, right, wrong = MISTAKES[kind]
        assert right in exercise_1, kind
        exercise_1 = exercise_1.replace(right, wrong, 1)
    exercise_4 = EXERCISE_4
    if exercise_4_mistake:
        assert exercise_4_mistake[0] in exercise_4
        exercise_4 = exercise_4.replace(*exercise_4_mistake, 1)
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["## makemore: backprop"]}]
    for source in [*SETUP, exercise_1, exercise_4, *AFTER]:
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {},
                      "outputs": [], "source": source.splitlines(keepends=True)})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4},
                      indent=1)


def write(folder, mistakes=(), exercise_4_mistake=None, with_names=True,
          name="makemore_part4_backprop.ipynb"):
    """The notebook (and names.txt) written into ``folder``; the notebook's path."""
    path = folder / name
    path.write_text(notebook(mistakes, exercise_4_mistake))
    if with_names:
        (folder / "names.txt").write_text("\n".join(names()) + "\n")
    return path
