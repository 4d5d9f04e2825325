"""What the cost curves of a run say: the causes of its spikes and whether it overfits."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..callbacks import History

SPIKE_ADVICE = {
    "learning rate": "full-batch gradient descent has no sampling noise, so the cost jumps "
                     "because a step overshot the minimum: lower the learning rate (about 2-3×) "
                     "or use a decaying schedule",
    "mini-batch noise": "each step sees a different mini-batch, and some batches are harder: "
                        "harmless while the epoch means fall; a larger batch or a smaller "
                        "learning rate smooths it",
    "schedule step": "the learning rate changed just before: a jump after an increase (a "
                     "restart) is expected and settles; after a decrease it should not happen",
}


def describe_spikes(history: History, shown: int = 5, **kwargs: Any) -> str:
    """A text report of ``history.spikes(**kwargs)``: per cause, how many spikes, the
    ``shown`` largest, and what to do about them."""
    spikes = history.spikes(**kwargs)
    if not spikes:
        return "no spikes: the cost stays close to its running trend"
    unit = "epoch" if history.steps_per_epoch == 1 else "step"
    lines = [f"{len(spikes)} spike{'s' if len(spikes) > 1 else ''} in the cost curve:"]
    for cause in dict.fromkeys(s["cause"] for s in spikes):
        chosen = [s for s in spikes if s["cause"] == cause]
        lines.append(f"  {len(chosen)} from {cause}: {SPIKE_ADVICE[cause]}")
        for s in sorted(chosen, key=lambda s: -s["size"])[:shown]:
            lines.append(f"    {unit} {s[unit]}: cost {s['value']:.4g}, {s['size']:+.0%} above "
                         f"the trend {s['trend']:.4g}")
        if len(chosen) > shown:
            lines.append(f"    and {len(chosen) - shown} more")
    return "\n".join(lines)


def check_overfitting(history: History, train_accuracy: float | None = None, gap: float = 0.05,
                      patience: int = 3, rise: float = 0.1) -> str | None:
    """A warning text if the run overfits, else None.

    It overfits when the training accuracy (``train_accuracy`` if given, measured with
    dropout off; else the last epoch's mean) exceeds the last validation accuracy by more
    than ``gap``; or when the validation cost, averaged over the last ``patience`` epochs,
    is more than ``rise`` (10%) above its minimum, reached at least ``patience`` epochs
    before, while the training cost kept falling and (for classifiers) the training
    accuracy is more than ``gap``/5 above the validation accuracy: a validation cost that
    wobbles while both accuracies stay close is no sign."""
    if not history.val_cost:
        return None
    reasons = []
    train = history.accuracy[-1] if train_accuracy is None else train_accuracy
    val = history.val_accuracy[-1]
    if train is not None and val is not None and train - val > gap:
        reasons.append(f"training accuracy {train:.2%} is {train - val:.1%} above the "
                       f"validation accuracy {val:.2%}")
    best = int(np.argmin(history.val_cost))
    recent = float(np.mean(history.val_cost[-patience:]))
    if (len(history.val_cost) - 1 - best >= patience
            and recent > (1 + rise) * history.val_cost[best]
            and history.cost[-1] < history.cost[best]
            and (train is None or val is None or train - val > gap / 5)):
        reasons.append(f"the validation cost rose from {history.val_cost[best]:.4g} (epoch "
                       f"{best + 1}) to {recent:.4g} (mean of the last {patience} epochs) while "
                       f"the training cost kept falling")
    if not reasons:
        return None
    return ("overfitting: " + "; ".join(reasons) + ". The network memorises the training "
            "set. Fix: stop earlier (best validation epoch above), add dropout or an L2 "
            "penalty, use a smaller network, or get more data")
