"""The trained model: a network with its inputs' names and scaling and its targets' encoding.

``chainrule.Model`` is what every face saves, loads and predicts with: the command
line, the estimators (``est.to_model()``), notebooks.  ``chainrule.load_model(path)``
reads one from its file; ``load_model(path, device="cuda")`` or ``model.to(device)``
puts its network on a PyTorch (or, with ``like=``, CuPy) device, where it then takes and
gives tensors (:mod:`.devices`).
"""

from . import devices, inputs, model
from .model import Evaluation, Model, load_model, training_summary

__all__ = [*model.__all__]
