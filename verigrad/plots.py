"""Pictures of a training run (matplotlib is an optional extra: ``pip install verigrad[plot]``)."""


def require_matplotlib():
    """Import matplotlib with a file-only backend, or explain how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'verigrad[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(history, path, title=None):
    """Cost and accuracy per epoch, train against validation, saved as a PNG at ``path``.

    The training figures are means over an epoch's mini-batches, so they are drawn at the
    middle of their epoch; validation is measured at the end of each epoch. The left panel
    also shows each mini-batch's cost (faint), so the noise of mini-batch training is visible."""
    plt = require_matplotlib()
    has_accuracy = any(a is not None for a in history.accuracy)
    fig, axes = plt.subplots(1, 2 if has_accuracy else 1, figsize=(11 if has_accuracy else 6, 4),
                             squeeze=False)
    from matplotlib.ticker import MaxNLocator
    ax = axes[0, 0]
    epochs = range(1, history.epochs + 1)
    middles = [e - 0.5 for e in epochs]
    if history.step_cost and history.steps_per_epoch:
        steps = [(i + 1) / history.steps_per_epoch for i in range(len(history.step_cost))]
        ax.plot(steps, history.step_cost, color="tab:blue", alpha=0.2, lw=0.6,
                label="mini-batch cost")
    ax.plot(middles, history.cost, "o-", color="tab:blue", label="train (epoch mean)")
    if history.val_cost:
        ax.plot(epochs, history.val_cost, "s-", color="tab:orange", label="validation")
    ax.set(xlabel="epoch", ylabel="cost", title="cost")
    ax.legend()
    ax.grid(alpha=0.3)
    if has_accuracy:
        ax = axes[0, 1]
        ax.plot(middles, history.accuracy, "o-", color="tab:blue", label="train (epoch mean)")
        if history.val_accuracy:
            ax.plot(epochs, history.val_accuracy, "s-", color="tab:orange", label="validation")
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        ax.legend()
        ax.grid(alpha=0.3)
    for ax in axes.flat:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
