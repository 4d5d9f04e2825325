"""Learner-style attention exercises for the tests (course 5 week 4's NumPy forms and the
tutorials' head split and merge): correct ones in several styles and buggy ones, each bug
marked ``# bug``. Test fixtures only."""
import numpy as np

# ---- the notebook's masks (given code there; here in NumPy, 1 = attend) ------------------

def create_padding_mask(decoder_token_ids):
    seq = 1 - np.equal(decoder_token_ids, 0).astype(np.float32)
    return seq[:, np.newaxis, :]


def create_look_ahead_mask(sequence_length):
    return np.tril(np.ones((1, sequence_length, sequence_length), dtype=np.float32))


# ---- get_angles and positional_encoding --------------------------------------------------

def get_angles(pos, k, d):
    i = k // 2
    return pos / 10000 ** (2 * i / d)


def get_angles_2021(pos, i, d_model):
    angle_rates = 1 / np.power(10000, (2 * (i // 2)) / np.float32(d_model))
    return pos * angle_rates


def positional_encoding(positions, d):
    angle_rads = get_angles(np.arange(positions)[:, np.newaxis], np.arange(d)[np.newaxis, :], d)
    angle_rads[:, 0::2] = np.sin(angle_rads[:, 0::2])
    angle_rads[:, 1::2] = np.cos(angle_rads[:, 1::2])
    return angle_rads[np.newaxis, ...].astype(np.float32)


def positional_encoding_loops(positions, d):
    table = np.zeros((1, positions, d))
    for pos in range(positions):
        for k in range(d):
            angle = pos / 10000 ** (2 * (k // 2) / d)
            table[0, pos, k] = np.sin(angle) if k % 2 == 0 else np.cos(angle)
    return table


def get_angles_no_two(pos, k, d):
    i = k // 2
    return pos / 10000 ** (i / d)  # bug: i where 2i belongs


def get_angles_2021_feature_index(pos, i, d_model):
    return pos / np.power(10000, 2 * i / d_model)  # bug: i is the feature index here


def positional_encoding_swapped(positions, d):
    angle_rads = get_angles(np.arange(positions)[:, np.newaxis], np.arange(d)[np.newaxis, :], d)
    angle_rads[:, 0::2] = np.cos(angle_rads[:, 0::2])  # bug: cos on the even features
    angle_rads[:, 1::2] = np.sin(angle_rads[:, 1::2])  # bug: sin on the odd ones
    return angle_rads[np.newaxis, ...]


def positional_encoding_halves(positions, d):
    angle_rads = get_angles(np.arange(positions)[:, np.newaxis], np.arange(d)[np.newaxis, :], d)
    sines = np.sin(angle_rads[:, 0::2])
    cosines = np.cos(angle_rads[:, 1::2])
    return np.concatenate([sines, cosines], axis=-1)[np.newaxis, ...]  # bug: halves


# ---- scaled_dot_product_attention --------------------------------------------------------

def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def scaled_dot_product_attention(q, k, v, mask):
    matmul_qk = np.matmul(q, np.swapaxes(k, -1, -2))
    dk = k.shape[-1]
    scaled_attention_logits = matmul_qk / np.sqrt(dk)
    if mask is not None:
        scaled_attention_logits += (1. - mask) * -1e9
    attention_weights = _softmax(scaled_attention_logits, axis=-1)
    output = np.matmul(attention_weights, v)
    return output, attention_weights


def scaled_dot_product_attention_einsum(q, k, v, mask):
    scores = np.einsum("...qd,...kd->...qk", q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask == 0, -np.inf, scores)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return np.einsum("...qk,...kv->...qv", weights, v), weights


def scaled_dot_product_attention_no_scale(q, k, v, mask):
    logits = q @ np.swapaxes(k, -1, -2)  # bug: not scaled
    if mask is not None:
        logits += (1. - mask) * -1e9
    weights = _softmax(logits)
    return weights @ v, weights


def scaled_dot_product_attention_keys_count(q, k, v, mask):
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-2])  # bug: the keys' count
    if mask is not None:
        logits += (1. - mask) * -1e9
    weights = _softmax(logits)
    return weights @ v, weights


def scaled_dot_product_attention_query_axis(q, k, v, mask):
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-1])
    if mask is not None:
        logits += (1. - mask) * -1e9
    weights = _softmax(logits, axis=-2)  # bug: over the queries
    return weights @ v, weights


def scaled_dot_product_attention_mask_sign(q, k, v, mask):
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-1])
    if mask is not None:
        logits += mask * -1e9  # bug: the 2021 notebook's mask (1 = hide)
    weights = _softmax(logits)
    return weights @ v, weights


def scaled_dot_product_attention_mask_zero(q, k, v, mask):
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-1])
    if mask is not None:
        logits = logits * mask  # bug: hidden scores become 0
    weights = _softmax(logits)
    return weights @ v, weights


def scaled_dot_product_attention_tiny_mask(q, k, v, mask):
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-1])
    if mask is not None:
        logits += (1. - mask) * -1e-9  # bug: -1e-9 is no mask
    weights = _softmax(logits)
    return weights @ v, weights


# the 2021 notebook's convention, with its own masks: 1 = hide
def create_look_ahead_mask_2021(size):
    return 1 - np.tril(np.ones((size, size)))


def scaled_dot_product_attention_2021(q, k, v, mask):
    matmul_qk = q @ k.swapaxes(-1, -2)
    scaled_attention_logits = matmul_qk / np.sqrt(k.shape[-1])
    if mask is not None:
        scaled_attention_logits += mask * -1e9
    attention_weights = _softmax(scaled_attention_logits)
    return attention_weights @ v, attention_weights


def scaled_dot_product_attention_tf(q, k, v, mask):
    matmul_qk = tf.matmul(q, k, transpose_b=True)  # noqa: F821 - TensorFlow is not installed
    dk = tf.cast(tf.shape(k)[-1], tf.float32)  # noqa: F821
    scaled_attention_logits = matmul_qk / tf.math.sqrt(dk)  # noqa: F821
    attention_weights = tf.nn.softmax(scaled_attention_logits, axis=-1)  # noqa: F821
    return tf.matmul(attention_weights, v), attention_weights  # noqa: F821


# ---- the multi-head split and merge ------------------------------------------------------

def split_heads(x, num_heads):
    m, T, d_model = x.shape
    x = x.reshape(m, T, num_heads, d_model // num_heads)
    return x.transpose(0, 2, 1, 3)


def split_heads_loop(x, num_heads):
    depth = x.shape[-1] // num_heads
    return np.stack([x[:, :, h * depth:(h + 1) * depth] for h in range(num_heads)], axis=1)


def combine_heads(x):
    m, h, T, depth = x.shape
    return x.transpose(0, 2, 1, 3).reshape(m, T, h * depth)


def merge_heads(x):
    return np.concatenate([x[:, h] for h in range(x.shape[1])], axis=-1)


def split_heads_no_transpose(x, num_heads):
    m, T, d_model = x.shape
    return x.reshape(m, num_heads, T, d_model // num_heads)  # bug: no transpose


def combine_heads_no_transpose(x):
    m, h, T, depth = x.shape
    return x.reshape(m, T, h * depth)  # bug: the head axis not moved back


HELPERS = [create_padding_mask, create_look_ahead_mask]
CORRECT = {"get_angles": get_angles, "positional_encoding": positional_encoding,
           "scaled_dot_product_attention": scaled_dot_product_attention,
           "split_heads": split_heads, "combine_heads": combine_heads}
#: other correct styles and versions: {name: function} sets checked on their own
STYLES = {
    "loops and concatenation": {"positional_encoding": positional_encoding_loops,
                                "split_heads": split_heads_loop, "merge_heads": merge_heads},
    "einsum": {"scaled_dot_product_attention": scaled_dot_product_attention_einsum},
    "the 2021 notebook": {"get_angles": get_angles_2021,
                          "create_look_ahead_mask": create_look_ahead_mask_2021,
                          "scaled_dot_product_attention": scaled_dot_product_attention_2021},
}
MISTAKES = [
    ("get_angles", get_angles_no_two, "angle_exponent"),
    ("get_angles", get_angles_2021_feature_index, "angle_exponent"),
    ("positional_encoding", positional_encoding_swapped, "sin_cos"),
    ("positional_encoding", positional_encoding_halves, "sin_cos"),
    ("scaled_dot_product_attention", scaled_dot_product_attention_no_scale, "attention_scale"),
    ("scaled_dot_product_attention", scaled_dot_product_attention_keys_count,
     "attention_scale"),
    ("scaled_dot_product_attention", scaled_dot_product_attention_query_axis,
     "attention_axis"),
    ("scaled_dot_product_attention", scaled_dot_product_attention_mask_sign, "mask_sign"),
    ("scaled_dot_product_attention", scaled_dot_product_attention_mask_zero, "mask_value"),
    ("scaled_dot_product_attention", scaled_dot_product_attention_tiny_mask, "mask_value"),
    ("split_heads", split_heads_no_transpose, "head_order"),
    ("combine_heads", combine_heads_no_transpose, "head_order"),
]
