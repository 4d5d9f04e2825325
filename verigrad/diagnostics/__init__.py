"""Why a network does not learn, read from the training run and its data.

guard     the NaN/inf guard that every ``fit`` runs, and its ``TrainingWarning``
monitor   ``Monitor``, a ``fit`` callback measuring every layer (activations, dead and
          saturated units, gradient norms, update/weight ratios)
curves    ``describe_spikes`` (the causes of ``History.spikes()``) and ``check_overfitting``
metrics   ``confusion_matrix`` and ``most_confident_mistakes``
leakage   ``check_leakage``: test examples that also sit in the training set

    monitor = vg.diagnostics.Monitor()
    model.fit(X, Y, epochs=10, callbacks=[monitor])
    print(monitor.table()); monitor.plot("diagnostics.png")
"""
from __future__ import annotations

from .curves import check_overfitting, describe_spikes
from .guard import Guard, TrainingDiverged, TrainingWarning
from .leakage import LeakageReport, check_leakage
from .metrics import confusion_matrix, most_confident_mistakes
from .monitor import Monitor

__all__ = ["Monitor", "Guard", "TrainingWarning", "TrainingDiverged", "describe_spikes",
           "check_overfitting", "confusion_matrix", "most_confident_mistakes", "check_leakage",
           "LeakageReport"]
