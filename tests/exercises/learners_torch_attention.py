"""A learner-style ``cs231n/transformer_layers.py`` (CS231n assignment 3, 2021 on):
``PositionalEncoding`` and ``MultiHeadAttention`` written correctly in three styles, and
forward methods with one mistake each, marked ``# bug``. Test fixtures only."""
import math

import torch
import torch.nn as nn
from torch.nn import functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        assert embed_dim % 2 == 0
        pe = torch.zeros(1, max_len, embed_dim)
        position = torch.arange(max_len).unsqueeze(1)
        rate = torch.pow(10000.0, -torch.arange(0, embed_dim, 2) / embed_dim)
        pe[0, :, 0::2] = torch.sin(position * rate)
        pe[0, :, 1::2] = torch.cos(position * rate)
        self.register_buffer('pe', pe)

    def forward(self, x):
        N, S, D = x.shape
        output = x + self.pe[:, :S]
        output = self.dropout(output)
        return output


class PositionalEncodingLoops(nn.Module):
    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(1, max_len, embed_dim)
        for pos in range(max_len):
            for i in range(0, embed_dim, 2):
                pe[0, pos, i] = math.sin(pos * 10000 ** (-i / embed_dim))
                pe[0, pos, i + 1] = math.cos(pos * 10000 ** (-i / embed_dim))
        self.register_buffer('pe', pe)

    def forward(self, x):
        return self.dropout(x + self.pe[:, :x.shape[1], :])


class PositionalEncodingSwapped(PositionalEncoding):
    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        super().__init__(embed_dim, dropout, max_len)
        pe = self.pe.clone()
        self.pe[0, :, 0::2], self.pe[0, :, 1::2] = pe[0, :, 1::2], pe[0, :, 0::2]  # bug


def positional_encoding_forward_dropout_first(self, x):
    N, S, D = x.shape
    return self.dropout(x) + self.pe[:, :S]  # bug: dropout before the encoding


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, dropout=0.1):
        super().__init__()
        assert embed_dim % num_heads == 0
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.attn_drop = nn.Dropout(dropout)
        self.n_head = num_heads
        self.emd_dim = embed_dim
        self.head_dim = self.emd_dim // self.n_head

    def forward(self, query, key, value, attn_mask=None):
        N, S, E = query.shape
        N, T, E = value.shape
        H, D = self.n_head, self.head_dim
        q = self.query(query).view(N, S, H, D).transpose(1, 2)
        k = self.key(key).view(N, T, H, D).transpose(1, 2)
        v = self.value(value).view(N, T, H, D).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask == 0, float('-inf'))
        weights = self.attn_drop(F.softmax(scores, dim=-1))
        y = torch.matmul(weights, v).transpose(1, 2).reshape(N, S, E)
        return self.proj(y)


def forward_einsum(self, query, key, value, attn_mask=None):
    N, S, E = query.shape
    H = self.n_head
    q = self.query(query).reshape(N, S, H, E // H)
    k = self.key(key).reshape(N, key.shape[1], H, E // H)
    v = self.value(value).reshape(N, value.shape[1], H, E // H)
    scores = torch.einsum("nshd,nthd->nhst", q, k) / (E // H) ** 0.5
    if attn_mask is not None:
        scores = scores + torch.where(attn_mask.bool(), 0.0, -1e9)
    weights = self.attn_drop(scores.softmax(dim=-1))
    return self.proj(torch.einsum("nhst,nthd->nshd", weights, v).reshape(N, S, E))


def forward_head_loop(self, query, key, value, attn_mask=None):
    E, H = query.shape[-1], self.n_head
    D = E // H
    q, k, v = self.query(query), self.key(key), self.value(value)
    outputs = []
    for h in range(H):
        part = slice(h * D, (h + 1) * D)
        scores = q[..., part] @ k[..., part].transpose(1, 2) / math.sqrt(D)
        if attn_mask is not None:
            scores = scores.masked_fill(~attn_mask.bool(), -math.inf)
        outputs.append(self.attn_drop(torch.softmax(scores, -1).unsqueeze(1)).squeeze(1)
                       @ v[..., part])
    return self.proj(torch.cat(outputs, dim=-1))


def _mistake(scale=None, dim=-1, fill="mask", split=True, merge=True, drop="weights"):
    """A correct forward but for the one choice given."""
    def forward(self, query, key, value, attn_mask=None):
        N, S, E = query.shape
        T, H = value.shape[1], self.n_head
        D = E // H
        if split:
            q = self.query(query).view(N, S, H, D).transpose(1, 2)
            k = self.key(key).view(N, T, H, D).transpose(1, 2)
            v = self.value(value).view(N, T, H, D).transpose(1, 2)
        else:
            q = self.query(query).view(N, H, S, D)
            k = self.key(key).view(N, H, T, D)
            v = self.value(value).view(N, H, T, D)
        scores = q @ k.transpose(-1, -2) / (math.sqrt(D) if scale is None else scale(E, D))
        if attn_mask is not None and fill == "mask":
            scores = scores.masked_fill(attn_mask == 0, float('-inf'))
        elif attn_mask is not None and fill == "inverted":
            scores = scores.masked_fill(attn_mask == 1, float('-inf'))
        elif attn_mask is not None and fill == "zero":
            scores = scores.masked_fill(attn_mask == 0, 0.0)
        weights = F.softmax(scores, dim=dim)
        if drop == "weights":
            weights = self.attn_drop(weights)
        y = weights @ v
        y = y.transpose(1, 2).reshape(N, S, E) if merge else y.reshape(N, S, E)
        y = self.proj(y)
        return self.attn_drop(y) if drop == "output" else y
    return forward


def forward_no_scale(self, query, key, value, attn_mask=None):
    return _mistake(scale=lambda E, D: 1.0)(  # bug: not scaled
        self, query, key, value, attn_mask)


def forward_sqrt_embed_dim(self, query, key, value, attn_mask=None):
    return _mistake(scale=lambda E, D: math.sqrt(E))(  # bug: √E where √(E/H) belongs
        self, query, key, value, attn_mask)


def forward_query_axis(self, query, key, value, attn_mask=None):
    return _mistake(dim=-2)(self, query, key, value, attn_mask)  # bug: softmax over queries


def forward_mask_inverted(self, query, key, value, attn_mask=None):
    return _mistake(fill="inverted")(  # bug: masked_fill(attn_mask == 1, -inf)
        self, query, key, value, attn_mask)


def forward_mask_zero(self, query, key, value, attn_mask=None):
    return _mistake(fill="zero")(  # bug: masked_fill(attn_mask == 0, 0.0)
        self, query, key, value, attn_mask)


def forward_split_no_transpose(self, query, key, value, attn_mask=None):
    return _mistake(split=False)(  # bug: view(N, H, S, D) without a transpose
        self, query, key, value, attn_mask)


def forward_merge_no_transpose(self, query, key, value, attn_mask=None):
    return _mistake(merge=False)(  # bug: y.reshape(N, S, E) without a transpose
        self, query, key, value, attn_mask)


def forward_dropout_on_output(self, query, key, value, attn_mask=None):
    return _mistake(drop="output")(  # bug: self.attn_drop on the projected output
        self, query, key, value, attn_mask)


def forward_no_dropout(self, query, key, value, attn_mask=None):
    return _mistake(drop=None)(  # bug: self.attn_drop never applied
        self, query, key, value, attn_mask)


def classes(**replaced):
    """The file's classes as the checker finds them, "Class.forward" replaced as given."""
    functions = {"MultiHeadAttention": MultiHeadAttention,
                 "MultiHeadAttention.forward": MultiHeadAttention.forward,
                 "PositionalEncoding": PositionalEncoding,
                 "PositionalEncoding.forward": PositionalEncoding.forward}
    functions.update({f"{name}.forward": f for name, f in replaced.items()})
    return functions


CORRECT_STYLES = {
    "view and transpose": classes(),
    "einsum": classes(MultiHeadAttention=forward_einsum),
    "a loop over the heads": classes(MultiHeadAttention=forward_head_loop),
    "positional encoding by loops": {"PositionalEncoding": PositionalEncodingLoops,
                                     "PositionalEncoding.forward":
                                         PositionalEncodingLoops.forward},
}
MISTAKES = [
    ("MultiHeadAttention.forward", forward_no_scale, "attention_scale"),
    ("MultiHeadAttention.forward", forward_sqrt_embed_dim, "attention_scale"),
    ("MultiHeadAttention.forward", forward_query_axis, "attention_axis"),
    ("MultiHeadAttention.forward", forward_mask_inverted, "mask_sign"),
    ("MultiHeadAttention.forward", forward_mask_zero, "mask_value"),
    ("MultiHeadAttention.forward", forward_split_no_transpose, "head_order"),
    ("MultiHeadAttention.forward", forward_merge_no_transpose, "head_order"),
    ("MultiHeadAttention.forward", forward_dropout_on_output, "dropout_place"),
    ("MultiHeadAttention.forward", forward_no_dropout, "dropout_place"),
    ("PositionalEncoding.forward", positional_encoding_forward_dropout_first, "dropout_place"),
]
#: a class whose __init__ is wrong: (class name, class, kind)
WRONG_CLASSES = [("PositionalEncoding", PositionalEncodingSwapped, "sin_cos")]
