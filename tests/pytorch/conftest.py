"""A makemore-style MLP (embedding, linear, batch norm, tanh, linear, cross-entropy) in
PyTorch, its forward recorded by autograd and its gradients written by hand, shared by the
tests of ``vg.cmp``."""
import pytest

torch = pytest.importorskip("torch")

from verigrad.pytorch import graph  # noqa: E402


def forward_and_backward(dtype=torch.float32, seed=0):
    """Every tensor of the forward pass (with .grad from autograd) and every hand-written
    gradient (d + name), as one dict."""
    g = torch.Generator().manual_seed(seed)
    vocab, n_embd, block, n_hidden, n = 27, 5, 3, 16, 32
    C = torch.randn((vocab, n_embd), generator=g, dtype=dtype)
    W1 = torch.randn((n_embd * block, n_hidden), generator=g, dtype=dtype) * 0.4
    b1 = torch.randn(n_hidden, generator=g, dtype=dtype) * 0.1
    W2 = torch.randn((n_hidden, vocab), generator=g, dtype=dtype) * 0.1
    b2 = torch.randn(vocab, generator=g, dtype=dtype) * 0.1
    bngain = torch.randn((1, n_hidden), generator=g, dtype=dtype) * 0.1 + 1.0
    bnbias = torch.randn((1, n_hidden), generator=g, dtype=dtype) * 0.1
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    Xb = torch.randint(0, vocab, (n, block), generator=g)   # some rows read once, some more
    Yb = torch.randint(0, vocab, (n,), generator=g)
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes,
              logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
              embcat, emb]:
        t.retain_grad()
    with graph.recording():
        loss.backward()
    v = dict(locals())
    with torch.no_grad():
        d = {}
        d["logprobs"] = torch.zeros_like(logprobs)
        d["logprobs"][range(n), Yb] = -1.0 / n
        d["probs"] = (1.0 / probs) * d["logprobs"]
        d["counts_sum_inv"] = (counts * d["probs"]).sum(1, keepdim=True)
        d["counts"] = counts_sum_inv * d["probs"]
        d["counts_sum"] = (-counts_sum ** -2) * d["counts_sum_inv"]
        d["counts"] = d["counts"] + torch.ones_like(counts) * d["counts_sum"]
        d["norm_logits"] = counts * d["counts"]
        d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)
        d["logits"] = d["norm_logits"].clone() + torch.nn.functional.one_hot(
            logits.max(1).indices, num_classes=logits.shape[1]) * d["logit_maxes"]
        d["h"] = d["logits"] @ W2.T
        d["W2"] = h.T @ d["logits"]
        d["b2"] = d["logits"].sum(0)
        d["hpreact"] = (1.0 - h ** 2) * d["h"]
        d["bngain"] = (bnraw * d["hpreact"]).sum(0, keepdim=True)
        d["bnraw"] = bngain * d["hpreact"]
        d["bnbias"] = d["hpreact"].sum(0, keepdim=True)
        d["bndiff"] = bnvar_inv * d["bnraw"]
        d["bnvar_inv"] = (bndiff * d["bnraw"]).sum(0, keepdim=True)
        d["bnvar"] = (-0.5 * (bnvar + 1e-5) ** -1.5) * d["bnvar_inv"]
        d["bndiff2"] = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * d["bnvar"]
        d["bndiff"] = d["bndiff"] + (2 * bndiff) * d["bndiff2"]
        d["bnmeani"] = (-d["bndiff"]).sum(0)
        d["hprebn"] = d["bndiff"].clone() + 1.0 / n * (torch.ones_like(hprebn) * d["bnmeani"])
        d["embcat"] = d["hprebn"] @ W1.T
        d["W1"] = embcat.T @ d["hprebn"]
        d["b1"] = d["hprebn"].sum(0)
        d["emb"] = d["embcat"].view(emb.shape)
        d["C"] = torch.zeros_like(C)
        for k in range(Xb.shape[0]):
            for j in range(Xb.shape[1]):
                d["C"][Xb[k, j]] += d["emb"][k, j]
    v["d"] = d
    return v


@pytest.fixture(scope="module")
def mlp32():
    return forward_and_backward(torch.float32)


@pytest.fixture(scope="module")
def mlp64():
    return forward_and_backward(torch.float64)
