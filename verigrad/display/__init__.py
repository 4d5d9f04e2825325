"""What verigrad shows in Jupyter: the HTML of its reports (``html``), training curves as
inline SVG (``svg``) and ``LivePlot``, the callback that redraws them during ``fit``
(``live``). Nothing here needs more than NumPy; IPython is used only when present."""
from __future__ import annotations

from .live import LivePlot

__all__ = ["LivePlot"]
