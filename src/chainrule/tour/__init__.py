"""The course's exercise, question by question, worked with chainrule.

``walk`` runs the tour (:func:`run_tour`, which ``chainrule tour`` calls);
``options`` holds every answer option of the exercise, each tried numerically.
"""

from . import options, walk
from .options import Option, derivative_options, jacobian_options, option_table
from .walk import W_Q5, X_Q5, Y_Q5, TourResult, b_Q5, dCdb, dCdb_as_printed, run_tour

__all__ = [*options.__all__, *walk.__all__]
