"""Learner-style recurrent exercises for the tests: correct ones and buggy ones, each bug
marked ``# bug``. Test fixtures only."""
import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=0))
    return e / e.sum(axis=0)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dtanh = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dtanh, "da_prev": parameters["Waa"].T @ dtanh,
            "dWax": dtanh @ xt.T, "dWaa": dtanh @ a_prev.T,
            "dba": np.sum(dtanh, axis=1, keepdims=True)}


def rnn_forward(x, a0, parameters):
    caches = []
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t], y_pred[:, :, t] = a_next, yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_backward(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros(x.shape), "dWax": 0, "dWaa": 0, "dba": 0}
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        da_prevt = step["da_prev"]
        grads["dx"][:, :, t] = step["dxt"]
        for k in ("dWax", "dWaa", "dba"):
            grads[k] = grads[k] + step[k]
    grads["da0"] = da_prevt
    return grads


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    concat = np.concatenate((a_prev, xt), axis=0)
    ft = sigmoid(parameters["Wf"] @ concat + parameters["bf"])
    it = sigmoid(parameters["Wi"] @ concat + parameters["bi"])
    cct = np.tanh(parameters["Wc"] @ concat + parameters["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(parameters["Wo"] @ concat + parameters["bo"])
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(parameters["Wy"] @ a_next + parameters["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt,
                                     parameters)


def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dcct = dc * it * (1 - cct ** 2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    concat = np.concatenate((a_prev, xt), axis=0)
    grads = {}
    for gate, dz in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)):
        grads["dW" + gate] = dz @ concat.T
        grads["db" + gate] = dz.sum(axis=1, keepdims=True)
    stacked = sum(parameters["W" + g].T @ dz for g, dz in (("f", dft), ("i", dit), ("c", dcct),
                                                         ("o", dot)))
    grads["da_prev"], grads["dxt"] = stacked[:n_a], stacked[n_a:]
    grads["dc_prev"] = dc * ft
    return grads


def lstm_forward_around(cell, name):
    """The notebook's lstm_forward loop around one cell forward (a right or a wrong one)."""
    def lstm_forward(x, a0, parameters):
        caches = []
        n_x, m, T_x = x.shape
        n_y, n_a = parameters["Wy"].shape
        a, c, y = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
        a_next, c_next = a0, np.zeros((n_a, m))
        for t in range(T_x):
            a_next, c_next, yt, cache = cell(x[:, :, t], a_next, c_next, parameters)
            a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt
            caches.append(cache)
        return a, y, c, (caches, x)
    lstm_forward.__name__, lstm_forward.calls = name, cell.__name__
    return lstm_forward


lstm_forward = lstm_forward_around(lstm_cell_forward, "lstm_forward")


def lstm_backward(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros(x.shape)}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        da_prevt, dc_prevt = step["da_prev"], step["dc_prev"]
        grads["dx"][:, :, t] = step["dxt"]
        for k in step:
            if k[:2] in ("dW", "db"):
                grads[k] = grads.get(k, 0) + step[k]
    grads["da0"] = da_prevt
    return grads


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dz = dnext_h * (1 - next_h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, prev_h.T @ dz, dz.sum(axis=0)


def word_embedding_forward(x, W):
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(x, w, b):
    out = x @ w + b
    return out, (x, w, b, out)


def temporal_affine_backward(dout, cache):
    x, w, b, out = cache
    N, T, D = x.shape
    return dout @ w.T, x.reshape(N * T, D).T @ dout.reshape(N * T, -1), dout.sum(axis=(0, 1))


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    flat, labels, keep = x.reshape(N * T, V), y.reshape(N * T), mask.reshape(N * T)
    probs = np.exp(flat - flat.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.sum(keep * np.log(probs[np.arange(N * T), labels])) / N
    dx = probs.copy()
    dx[np.arange(N * T), labels] -= 1
    dx *= keep[:, None] / N
    return loss, dx.reshape(N, T, V)


HELPERS = [softmax, sigmoid]  # the course's rnn_utils, which the exercises call
CORRECT = {name: globals()[name] for name in (
    "rnn_cell_forward", "rnn_cell_backward", "rnn_forward", "rnn_backward", "lstm_cell_forward",
    "lstm_cell_backward", "lstm_forward", "lstm_backward", "rnn_step_forward",
    "rnn_step_backward", "word_embedding_forward", "word_embedding_backward",
    "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss")}


# ---- mistakes -------------------------------------------------------------------------------

def rnn_cell_forward_softmax_rows(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    z = parameters["Wya"] @ a_next + parameters["by"]
    yt_pred = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # bug: over the examples
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_cell_backward_tanh_of_z(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    z = parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"]
    dtanh = (1 - z ** 2) * da_next  # bug: tanh'(z) is 1 - tanh(z)**2
    return {"dxt": parameters["Wax"].T @ dtanh, "da_prev": parameters["Waa"].T @ dtanh,
            "dWax": dtanh @ xt.T, "dWaa": dtanh @ a_prev.T,
            "dba": np.sum(dtanh, axis=1, keepdims=True)}


def rnn_forward_from_a0(x, a0, parameters):
    caches = []
    n_a, m, T_x = a0.shape[0], x.shape[1], x.shape[2]
    a, y_pred = np.zeros((n_a, m, T_x)), np.zeros((parameters["Wya"].shape[0], m, T_x))
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a0, parameters)  # bug: a0
        a[:, :, t], y_pred[:, :, t] = a_next, yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_backward_no_da_prevt(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros(x.shape), "dWax": 0, "dWaa": 0, "dba": 0}
    for t in reversed(range(T_x)):
        step = rnn_cell_backward(da[:, :, t], caches[t])  # bug: + da_prevt is missing
        grads["dx"][:, :, t] = step["dxt"]
        for k in ("dWax", "dWaa", "dba"):
            grads[k] = grads[k] + step[k]
        grads["da0"] = step["da_prev"]
    return grads


def lstm_cell_backward_whole_matrix(da_next, dc_next, cache):
    grads = lstm_cell_backward(da_next, dc_next, cache)
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dft, dit = dc * c_prev * ft * (1 - ft), dc * cct * it * (1 - it)
    dcct = dc * it * (1 - cct ** 2)
    grads["da_prev"] = (parameters["Wf"].T @ dft + parameters["Wi"].T @ dit  # bug: whole W
                        + parameters["Wc"].T @ dcct + parameters["Wo"].T @ dot)
    return grads


def lstm_cell_backward_dc_prev_unforgotten(da_next, dc_next, cache):
    grads = lstm_cell_backward(da_next, dc_next, cache)
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    grads["dc_prev"] = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)  # bug: no * ft
    return grads


def lstm_backward_no_dc_prevt(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros(x.shape)}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        da_prevt = step["da_prev"]  # bug: dc_prevt is never carried back
        grads["dx"][:, :, t] = step["dxt"]
        for k in step:
            if k[:2] in ("dW", "db"):
                grads[k] = grads.get(k, 0) + step[k]
    grads["da0"] = da_prevt
    return grads


def rnn_backward_assigned(da, caches):
    """The notebook's own loop, with each step's weight gradients assigned."""
    (caches, x) = caches
    (a1, a0, x1, parameters) = caches[0]
    n_a, m, T_x = da.shape
    n_x, m = x1.shape
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dxt, da_prevt, dWaxt, dWaat, dbat = gradients["dxt"], gradients["da_prev"], \
            gradients["dWax"], gradients["dWaa"], gradients["dba"]
        dx[:, :, t] = dxt
        dWax = dWaxt  # bug: = where each step's contribution is added
        dWaa = dWaat
        dba = dbat
    da0 = da_prevt
    return {"dx": dx, "da0": da0, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def lstm_backward_assigned(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    grads = {"dx": np.zeros(x.shape)}
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        da_prevt, dc_prevt = step["da_prev"], step["dc_prev"]
        grads["dx"][:, :, t] = step["dxt"]
        for k in step:
            if k[:2] in ("dW", "db"):
                grads[k] = step[k]  # bug: the steps' contributions are not added up
    grads["da0"] = da_prevt
    return grads


def word_embedding_backward_fancy(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    dW[x] += dout  # bug: repeated words keep one update
    return dW


def temporal_softmax_loss_unmasked(x, y, mask, verbose=False):
    return temporal_softmax_loss(x, y, np.ones_like(mask))  # bug: the mask is ignored


def lstm_cell_forward_gates_swapped(xt, a_prev, c_prev, parameters):
    concat = np.concatenate((a_prev, xt), axis=0)
    ft = sigmoid(parameters["Wf"] @ concat + parameters["bf"])
    it = sigmoid(parameters["Wi"] @ concat + parameters["bi"])
    cct = np.tanh(parameters["Wc"] @ concat + parameters["bc"])
    c_next = it * c_prev + ft * cct  # bug: the forget gate keeps c_prev, the update gate cct
    ot = sigmoid(parameters["Wo"] @ concat + parameters["bo"])
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(parameters["Wy"] @ a_next + parameters["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt,
                                     parameters)


def lstm_cell_forward_no_output_gate(xt, a_prev, c_prev, parameters):
    concat = np.concatenate((a_prev, xt), axis=0)
    ft = sigmoid(parameters["Wf"] @ concat + parameters["bf"])
    it = sigmoid(parameters["Wi"] @ concat + parameters["bi"])
    cct = np.tanh(parameters["Wc"] @ concat + parameters["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(parameters["Wo"] @ concat + parameters["bo"])
    a_next = np.tanh(c_next)  # bug: the output gate ot is left out
    yt_pred = softmax(parameters["Wy"] @ a_next + parameters["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt,
                                     parameters)


MISTAKES = [
    ("rnn_cell_forward", rnn_cell_forward_softmax_rows, "softmax_axis"),
    ("lstm_cell_forward", lstm_cell_forward_gates_swapped, "lstm_gate"),
    ("lstm_cell_forward", lstm_cell_forward_no_output_gate, "output_gate"),
    # the sequence repeats its cell's mistake, and is told so on its own
    ("lstm_forward", lstm_forward_around(lstm_cell_forward_gates_swapped,
                                         "lstm_forward_gates_swapped"), "lstm_gate"),
    ("lstm_forward", lstm_forward_around(lstm_cell_forward_no_output_gate,
                                         "lstm_forward_no_output_gate"), "output_gate"),
    ("rnn_cell_backward", rnn_cell_backward_tanh_of_z, "tanh_derivative"),
    ("rnn_forward", rnn_forward_from_a0, "state"),
    ("rnn_backward", rnn_backward_no_da_prevt, "time_path"),
    ("rnn_backward", rnn_backward_assigned, "time_sum"),
    ("lstm_backward", lstm_backward_assigned, "time_sum"),
    ("lstm_cell_backward", lstm_cell_backward_whole_matrix, "gate_block"),
    ("word_embedding_backward", word_embedding_backward_fancy, "repeated_index"),
    ("temporal_softmax_loss", temporal_softmax_loss_unmasked, "unmasked"),
]


# ---- CS231n's sequences (the same names as the course's, other signatures) -----------------

def cs231n_rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h, caches, prev = np.zeros((N, T, h0.shape[1])), [], h0
    for t in range(T):
        prev, cache = rnn_step_forward(x[:, t, :], prev, Wx, Wh, b)
        h[:, t, :] = prev
        caches.append(cache)
    return h, caches


def cs231n_rnn_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db, dprev = 0, 0, 0, np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dprev,
                                                                    cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev, dWx, dWh, db


def cs231n_rnn_backward_unpacked(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        # bug: dWx, dWh, db take each step's gradients in place of their sum
        dx[:, t, :], dprev, dWx, dWh, db = rnn_step_backward(dh[:, t, :] + dprev, cache[t])
    return dx, dprev, dWx, dWh, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = (sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                    dnext_h * tc * o * (1 - o), dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def cs231n_lstm_forward_around(step, name):
    """CS231n's lstm_forward loop around one step forward (a right or a wrong one)."""
    def lstm_forward(x, h0, Wx, Wh, b):
        N, T, _ = x.shape
        h, caches = np.zeros((N, T, h0.shape[1])), []
        prev_h, prev_c = h0, np.zeros_like(h0)
        for t in range(T):
            prev_h, prev_c, cache = step(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
            h[:, t, :] = prev_h
            caches.append(cache)
        return h, caches
    lstm_forward.__name__, lstm_forward.calls = name, step.__name__
    return lstm_forward


cs231n_lstm_forward = cs231n_lstm_forward_around(lstm_step_forward, "cs231n_lstm_forward")


def lstm_step_forward_gates_swapped(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = (sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
    g = np.tanh(a[:, 3 * H:])
    next_c = i * prev_c + f * g  # bug: the input gate keeps prev_c, the forget gate lets g in
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_forward_no_output_gate(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = (sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = np.tanh(next_c)  # bug: the output gate o is left out
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def cs231n_lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = 0, 0, 0
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t, :] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def cs231n_lstm_backward_partly_assigned(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWh = 0
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dprev_c, dWx, dWh_t, db = lstm_step_backward(  # bug: dWx, db
            dh[:, t, :] + dprev_h, dprev_c, cache[t])
        dWh += dWh_t
    return dx, dprev_h, dWx, dWh, db


CS231N_SEQUENCES = {"rnn_step_forward": rnn_step_forward, "rnn_step_backward": rnn_step_backward,
                    "rnn_forward": cs231n_rnn_forward, "rnn_backward": cs231n_rnn_backward,
                    "lstm_step_forward": lstm_step_forward,
                    "lstm_step_backward": lstm_step_backward,
                    "lstm_forward": cs231n_lstm_forward, "lstm_backward": cs231n_lstm_backward}
CORRECT.update(lstm_step_forward=lstm_step_forward, lstm_step_backward=lstm_step_backward)
MISTAKES += [
    ("lstm_step_forward", lstm_step_forward_gates_swapped, "lstm_gate"),
    ("lstm_step_forward", lstm_step_forward_no_output_gate, "output_gate"),
]
#: CS231n's lstm_forward around a wrong step: checked among CS231N_SEQUENCES
CS231N_LSTM_MISTAKES = [
    (cs231n_lstm_forward_around(lstm_step_forward_gates_swapped,
                                "cs231n_lstm_forward_gates_swapped"), "lstm_gate"),
    (cs231n_lstm_forward_around(lstm_step_forward_no_output_gate,
                                "cs231n_lstm_forward_no_output_gate"), "output_gate"),
]
#: CS231n's sequence backwards that keep one time step's weight gradients: checked among
#: CS231N_SEQUENCES, with the gradients named (dWh is right in the LSTM's)
CS231N_TIME_SUM = [
    ("rnn_backward", cs231n_rnn_backward_unpacked, "dWx, dWh and db"),
    ("lstm_backward", cs231n_lstm_backward_partly_assigned, "dWx and db"),
]
