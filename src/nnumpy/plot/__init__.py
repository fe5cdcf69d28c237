"""Plots for learning and debugging: training curves, decision boundaries, confusion
matrices, misclassified images, first-layer weights, activation/gradient histograms.

matplotlib is an optional extra (``pip install 'nnumpy[plot]'``), imported inside each
function. Figures are built with matplotlib's object API on the Agg canvas: nothing
here touches ``pyplot``, the global backend or ``plt.show``, so the functions work
headless, in scripts and in notebooks alike. In Jupyter a Figure shows inline when it
is a cell's value (``plot_curves(history)`` as the last line, or ``fig`` on its own
line): under a kernel these functions register a PNG view for Figures with IPython,
unless one is registered already (``%matplotlib inline`` does). A Figure assigned to
a name, not shown, stays hidden until the name is evaluated. In a script, save it
(``path=``) or call ``fig.savefig``.

Every function returns the ``matplotlib.figure.Figure``; with ``path=`` it also
saves a PNG atomically (a temp file beside ``path`` moved into place), so an
interrupted run never leaves half an image. ``animate_decision_boundary`` saves a
GIF instead.

What lives where: ``_common.py`` (figure, save, colours, labels), ``_curves.py``
(``plot_curves``), ``_boundary.py`` (``plot_decision_boundary``,
``animate_decision_boundary``), ``_classes.py`` (``plot_confusion_matrix``,
``plot_misclassified``), ``_weights.py`` (``plot_weights``, ``plot_activations``),
``_conv.py`` (``plot_filters``, ``plot_feature_maps``).
"""

from ._boundary import animate_decision_boundary, plot_decision_boundary
from ._classes import plot_confusion_matrix, plot_misclassified
from ._conv import plot_feature_maps, plot_filters
from ._curves import plot_curves
from ._weights import plot_activations, plot_weights

__all__ = [
    "plot_curves",
    "plot_decision_boundary",
    "animate_decision_boundary",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_weights",
    "plot_activations",
    "plot_filters",
    "plot_feature_maps",
]
