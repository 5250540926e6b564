"""Moving networks between chainrule, scikit-learn, PyTorch and ONNX.

Every converter copies the same numbers into another layout; nothing is
retrained, so predictions agree to rounding:

* scikit-learn stores layer ``l`` as ``coefs_[l] = W(l)ᵀ`` of shape
  ``(n_{l−1}, n_l)`` and ``intercepts_[l] = b(l)``; one activation for every
  hidden layer and ``out_activation_`` for the last.
* PyTorch's ``nn.Linear`` computes ``x Wᵀ + b`` with ``weight`` of shape
  ``(n_l, n_{l−1})``: our ``W(l)`` as it is.  A network becomes
  ``nn.Sequential(Linear, σ, Linear, σ, …)`` in the network's dtype.
* ONNX: ``Gemm(A, W, b, transB=1) = A Wᵀ + b`` per layer, then the
  activation's operator; optionally ``Sub`` and ``Div`` first, so the model
  takes raw inputs and standardises them itself.

PyTorch, ``onnx`` and ``onnxruntime`` are optional extras, imported only by
the functions that need them.  A network on a device (:meth:`Network.move_to
<chainrule.nn.Network.move_to>`) is converted from its parameters read to the host;
the network stays where it is.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import ChainruleError, ConfigError
from .nn.network import Network
from .utils.files import atomic_write, os_error_reason
from .utils.namespace import to_numpy

__all__ = ["from_sklearn", "from_torch", "to_onnx", "to_sklearn", "to_torch"]

Array = np.ndarray

SKLEARN_HIDDEN = ("identity", "logistic", "tanh", "relu")
SKLEARN_OUTPUT = ("identity", "logistic", "tanh", "relu", "softmax", "exp")
# both are scikit-learn's regressor objective up to a factor: ½|a − y|² is exactly it
SQUARED_ERRORS = ("half_squared_error", "squared_error")
# softplus(z) = log(1 + e^z) = z + log(1 + e^−z): above this torch's Softplus returns z, and
# e^−40 ≈ 4e-18 is below the rounding of z, so the cut-off changes nothing in float64
TORCH_SOFTPLUS_THRESHOLD = 40.0
ONNX_OPSET = 17
ONNX_IR_VERSION = 8  # the IR version that introduced opset 17: readable by older runtimes


def _as_network(model: object, caller: str) -> Network:
    """A Network itself, or the ``network_`` of a fitted chainrule estimator."""
    if isinstance(model, Network):
        return model
    net = getattr(model, "network_", None)
    if isinstance(net, Network):
        return net
    raise ChainruleError(f"{caller}: expected a chainrule Network or a fitted chainrule "
                         f"estimator, got {type(model).__name__}")


# ---------------------------------------------------------------------------
# scikit-learn


def from_sklearn(mlp: Any) -> Network:
    """The :class:`Network` computing what a fitted scikit-learn MLP computes.

    ``W(l) = coefs_[l]ᵀ`` and ``b(l) = intercepts_[l]``; the cost is the
    model's: cross-entropy for a softmax classifier, binary cross-entropy for
    a logistic one, and for a regressor 'half_squared_error'
    (``C_k = ½|a − y|²``, scikit-learn's objective), or 'poisson' with its
    exp output for ``loss='poisson'``.  The dtype is that of ``coefs_``.  A
    fitted chainrule estimator gives a copy of its ``network_``, with the cost
    it was trained with.

    Raises
    ------
    ConfigError
        If the output activation has no chainrule counterpart.
    sklearn.exceptions.NotFittedError
        If ``mlp`` is not fitted.
    """
    from sklearn.base import is_classifier
    from sklearn.utils.validation import check_is_fitted

    if isinstance(getattr(mlp, "network_", None), Network):  # chainrule's own estimator
        return mlp.network_.copy()
    check_is_fitted(mlp, "coefs_")
    out = mlp.out_activation_
    if out not in SKLEARN_OUTPUT:
        raise ConfigError(f"from_sklearn: output activation {out!r} has no chainrule "
                          f"counterpart; supported: {', '.join(SKLEARN_OUTPUT)}")
    if is_classifier(mlp):
        cost = "cross_entropy" if out == "softmax" else "binary_cross_entropy"
    else:
        cost = "poisson" if out == "exp" else "half_squared_error"
    coefs, intercepts = mlp.coefs_, mlp.intercepts_
    sizes = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
    return Network(sizes, mlp.activation, out, cost, dtype=coefs[0].dtype,
                   weights=[c.T for c in coefs], biases=list(intercepts))


def _host_weights(net: Network) -> tuple[list[Array], list[Array]]:
    """Copies of ``W(l)`` and ``b(l)`` as NumPy arrays on the host: a network on a
    device (:meth:`Network.move_to`) is read from there, and stays there."""
    return [to_numpy(W).copy() for W in net.W], [to_numpy(b).copy() for b in net.b]


def _hidden_activation(net: Network) -> str:
    names = [a.name for a in net.activations[:-1]]
    for l, name in enumerate(names, 1):
        if name not in SKLEARN_HIDDEN:
            raise ConfigError(f"to_sklearn: scikit-learn's MLP has no {name!r} activation "
                              f"(layer {l}); supported: {', '.join(SKLEARN_HIDDEN)}")
    if len(set(names)) > 1:
        raise ConfigError(f"to_sklearn: scikit-learn's MLP uses one activation for every "
                          f"hidden layer, the network has {names}")
    return names[0] if names else "relu"  # no hidden layer: the choice changes nothing


def to_sklearn(model: Network | Any, *, classes: object = None) -> Any:
    """A fitted ``sklearn.neural_network`` MLP that predicts what ``model`` predicts.

    Parameters
    ----------
    model : Network or fitted chainrule MLPClassifier / MLPRegressor
        A squared-error network ('half_squared_error' or 'squared_error')
        becomes an ``MLPRegressor`` (its output activation kept); a binary
        cross-entropy network an ``MLPClassifier`` with logistic outputs
        (binary for one output, multilabel for more); a cross-entropy
        (softmax) network a multiclass ``MLPClassifier``.  A two-output
        softmax becomes scikit-learn's single logistic output with
        ``z = z₁ − z₀`` (the same probabilities).
    classes : array-like, optional
        Class labels of a classifier network (default ``0 … n−1``); a
        chainrule estimator brings its own ``classes_``.

    Returns
    -------
    sklearn.neural_network.MLPRegressor or MLPClassifier
        With ``coefs_``, ``intercepts_``, ``out_activation_``, ``n_layers_``,
        ``n_outputs_``, ``n_features_in_`` (and ``classes_``) set; fitting it
        again starts from scratch, as scikit-learn always does.

    Raises
    ------
    ConfigError
        For an activation scikit-learn lacks, hidden layers with different
        activations, wrong ``classes``, and two chainrule classifiers that
        scikit-learn's MLPClassifier cannot reproduce: one trained with a
        squared-error ``loss`` and a multiclass one with logistic
        (one-vs-rest) outputs.  Their ``network_`` converts.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    net = _as_network(model, "to_sklearn")
    _check_chainrule_classifier(model, net)
    hidden = _hidden_activation(net)
    out = net.activations[-1].name
    Ws, bs = _host_weights(net)
    Ws = [W.T.copy() for W in Ws]  # (n_{l-1}, n_l); the biases (n_l,)
    if net.cost.name in (*SQUARED_ERRORS, "poisson"):
        if out not in SKLEARN_OUTPUT:
            raise ConfigError(f"to_sklearn: scikit-learn's MLP has no {out!r} output "
                              f"activation; supported: {', '.join(SKLEARN_OUTPUT)}")
        loss = "poisson" if net.cost.name == "poisson" else "squared_error"
        est: Any = MLPRegressor(loss=loss, hidden_layer_sizes=net.layer_sizes[1:-1],
                                activation=hidden)
    else:
        est = MLPClassifier(hidden_layer_sizes=net.layer_sizes[1:-1], activation=hidden)
        if out == "softmax" and net.n_outputs == 2:
            # softmax over (z₀, z₁) is the logistic σ(z₁ − z₀) of one output
            Ws[-1] = Ws[-1][:, 1:] - Ws[-1][:, :1]
            bs[-1] = bs[-1][1:] - bs[-1][:1]
            out = "logistic"
        # scikit-learn's predict decodes labels with it
        lb = copy.deepcopy(getattr(model, "_label_binarizer", None))
        est._label_binarizer = _label_binarizer(net, classes) if lb is None else lb
        est.classes_ = est._label_binarizer.classes_
    est.coefs_, est.intercepts_ = Ws, bs
    est.out_activation_ = out
    est.n_layers_ = net.n_layers + 1
    est.n_outputs_ = Ws[-1].shape[1]
    est.n_features_in_ = net.n_inputs
    est.n_iter_ = est.t_ = 0
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        est.feature_names_in_ = np.asarray(names, dtype=object)
    return est


def _check_chainrule_classifier(model: object, net: Network) -> None:
    """Refuse the chainrule classifiers whose scikit-learn copy would predict otherwise."""
    lb = getattr(model, "_label_binarizer", None)
    if model is net or lb is None:
        return
    whose = f"to_sklearn: this chainrule MLPClassifier (loss={getattr(model, 'loss', None)!r}"
    if net.cost.name in SQUARED_ERRORS:
        raise ConfigError(f"{whose}) minimises {net.cost.name!r}, but scikit-learn's "
                          f"MLPClassifier trains only log-loss, so no scikit-learn classifier "
                          f"predicts what it predicts; to_sklearn(model.network_) gives an "
                          f"MLPRegressor of its scores")
    if lb.y_type_ == "multiclass" and net.activations[-1].name == "logistic" \
            and net.n_outputs > 1:
        raise ConfigError(f"{whose}, output_activation='logistic') has one-vs-rest logistic "
                          f"outputs for multiclass targets and normalises each row of "
                          f"predict_proba; scikit-learn's MLPClassifier would not (its "
                          f"probabilities would differ); to_sklearn(model.network_) gives a "
                          f"multilabel classifier of the raw outputs")


def _label_binarizer(net: Network, classes: object) -> Any:
    from sklearn.preprocessing import LabelBinarizer

    k = net.n_outputs
    multilabel = net.cost.name == "binary_cross_entropy" and k > 1
    n_classes = 2 if k == 1 else k
    labels = np.arange(n_classes) if classes is None else np.asarray(classes)
    if labels.ndim != 1 or len(labels) != n_classes or len(np.unique(labels)) != n_classes:
        raise ConfigError(f"classes: the network has {k} output(s), so expected "
                          f"{n_classes} distinct labels, got {classes!r}")
    lb = LabelBinarizer()
    if multilabel:
        if classes is not None and not np.array_equal(labels, np.arange(k)):
            raise ConfigError(f"classes: multilabel outputs are labelled 0 … {k - 1}, "
                              f"got {classes!r}")
        return lb.fit(np.eye(k, dtype=int))  # an indicator matrix: 'multilabel-indicator'
    return lb.fit(labels)


# ---------------------------------------------------------------------------
# PyTorch


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed in CI
        raise ImportError("PyTorch is needed here: pip install 'chainrule[torch]'") from exc
    return torch


def _torch_activation(nn: Any, name: str) -> Any:
    """The torch module for activation ``name``; None for the identity (nothing to add)."""
    if name == "identity":
        return None
    modules = {
        "tanh": nn.Tanh, "logistic": nn.Sigmoid, "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
        "softplus": lambda: nn.Softplus(beta=1.0, threshold=TORCH_SOFTPLUS_THRESHOLD),
        "softmax": lambda: nn.Softmax(dim=-1),
    }
    if name not in modules:  # 'exp', the Poisson output: torch.nn has no module for it
        raise ConfigError(f"to_torch: activation {name!r} has no torch.nn module; "
                          f"supported: identity, {', '.join(modules)}")
    return modules[name]()


def to_torch(model: Network | Any) -> Any:
    """``torch.nn.Sequential(Linear, σ, …)`` computing the network, in its dtype.

    ``Linear.weight`` is ``W(l)`` (the same ``(n_l, n_{l−1})`` orientation) and
    ``Linear.bias`` is ``b(l)``; identity layers add no module.  Outputs and
    autograd gradients of the same cost equal chainrule's to rounding.
    """
    torch = _import_torch()
    nn = torch.nn
    net = _as_network(model, "to_torch")
    tdtype = torch.float64 if net.dtype == np.float64 else torch.float32
    modules = []
    for W, b, act in zip(*_host_weights(net), net.activations):
        n, n_prev = W.shape
        linear = nn.Linear(n_prev, n, dtype=tdtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(W)))
            linear.bias.copy_(torch.from_numpy(np.array(b)))
        modules.append(linear)
        module = _torch_activation(nn, act.name)
        if module is not None:
            modules.append(module)
    return nn.Sequential(*modules)


def _flat_modules(module: Any, nn: Any) -> Iterator[Any]:
    if isinstance(module, nn.Sequential):
        for child in module:
            yield from _flat_modules(child, nn)
    else:
        yield module


def _activation_name(module: Any, nn: Any, where: str) -> str | None:
    """chainrule's name for a torch activation module (None for Identity), or ConfigError."""
    simple = {nn.Tanh: "tanh", nn.Sigmoid: "logistic", nn.ReLU: "relu", nn.Identity: None}
    if type(module) in simple:
        return simple[type(module)]
    if isinstance(module, nn.LeakyReLU):
        if module.negative_slope != 0.01:
            raise ConfigError(f"from_torch: {where} LeakyReLU has negative_slope "
                              f"{module.negative_slope}; chainrule's leaky_relu uses 0.01")
        return "leaky_relu"
    if isinstance(module, nn.Softplus):
        if module.beta != 1:
            raise ConfigError(f"from_torch: {where} Softplus has beta={module.beta}; "
                              f"chainrule's softplus is log(1 + e^z) (beta=1)")
        return "softplus"
    if isinstance(module, nn.Softmax):
        if module.dim not in (-1, 1):
            raise ConfigError(f"from_torch: {where} Softmax has dim={module.dim}; expected "
                              f"dim=-1 (over the features of each example)")
        return "softmax"
    raise ConfigError(f"from_torch: {where} {type(module).__name__} is not supported; "
                      f"expected Linear layers, each followed by at most one of Tanh, Sigmoid, "
                      f"ReLU, LeakyReLU(0.01), Softplus, Softmax(dim=-1) or Identity")


def from_torch(module: Any, *, cost: str | None = None) -> Network:
    """The :class:`Network` computing a ``torch.nn.Sequential`` of Linear and activations.

    Parameters
    ----------
    module : torch.nn.Sequential
        ``Linear`` layers, each optionally followed by one supported activation
        (Tanh, Sigmoid, ReLU, LeakyReLU(0.01), Softplus(beta=1), Softmax(dim=-1));
        ``Identity`` modules and nested Sequentials are allowed.
    cost : str, optional
        The network's cost; default 'cross_entropy' after a Softmax,
        'binary_cross_entropy' after a Sigmoid, else 'squared_error'.

    Raises
    ------
    ConfigError
        For any other module (named, with its position), an activation before
        the first Linear or two in a row, sizes that do not chain, or weights
        that are not float32 or float64.
    """
    torch = _import_torch()
    nn = torch.nn
    weights: list[Array] = []
    biases: list[Array] = []
    acts: list[str] = []
    dtypes: set[str] = set()
    for i, m in enumerate(_flat_modules(module, nn)):
        where = f"module {i} ({type(m).__name__})"
        if isinstance(m, nn.Linear):
            weight = m.weight.detach().cpu()
            dtypes.add(str(weight.dtype).removeprefix("torch."))  # NumPy's name
            if weight.dtype not in (torch.float32, torch.float64):
                weight = weight.double()  # refused below; NumPy has no bfloat16
            W = weight.numpy()  # (n_l, n_{l-1})
            if weights and W.shape[1] != weights[-1].shape[0]:
                raise ConfigError(f"from_torch: {where} takes {W.shape[1]} inputs but the "
                                  f"previous Linear gives {weights[-1].shape[0]}")
            b = np.zeros(W.shape[0], W.dtype) if m.bias is None else \
                m.bias.detach().cpu().to(weight.dtype).numpy()
            weights.append(W)
            biases.append(b)
            acts.append("identity")
            continue
        name = _activation_name(m, nn, where)
        if name is None:
            continue
        if not weights:
            raise ConfigError(f"from_torch: {where} comes before any Linear layer")
        if acts[-1] != "identity":
            raise ConfigError(f"from_torch: {where} follows {acts[-1]!r}; one activation per "
                              f"Linear layer")
        acts[-1] = name
    if not weights:
        raise ConfigError("from_torch: found no Linear layer")
    if len(dtypes) > 1 or not dtypes <= {"float32", "float64"}:
        raise ConfigError(f"from_torch: weights must all be float32 or all float64, got "
                          f"{sorted(dtypes)}")
    if cost is None:
        cost = {"softmax": "cross_entropy", "logistic": "binary_cross_entropy"}.get(
            acts[-1], "squared_error")
    sizes = [weights[0].shape[1], *(W.shape[0] for W in weights)]
    return Network(sizes, acts, cost=cost, dtype=weights[0].dtype, weights=weights,
                   biases=biases)


# ---------------------------------------------------------------------------
# ONNX


class _Graph:
    """Nodes and initialisers of an ONNX graph, with fresh tensor names."""

    def __init__(self, helper: Any, numpy_helper: Any, dtype: np.dtype):
        self.helper, self.numpy_helper, self.dtype = helper, numpy_helper, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def const(self, name: str, value: Array, dtype: np.dtype | None = None) -> str:
        self.initializers.append(self.numpy_helper.from_array(
            np.ascontiguousarray(value, dtype=self.dtype if dtype is None else dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str | None = None,
           **attrs: Any) -> str:
        self.count += 1
        out = output or f"t{self.count}"
        self.nodes.append(self.helper.make_node(op_type, inputs, [out],
                                                name=f"{op_type}_{self.count}", **attrs))
        return out


def _onnx_activation(g: _Graph, name: str, Z: str, out: str | None) -> str:
    simple = {"tanh": "Tanh", "logistic": "Sigmoid", "relu": "Relu", "exp": "Exp"}
    if name in simple:
        return g.op(simple[name], [Z], out)
    if name == "leaky_relu":
        if g.dtype == np.float32:
            return g.op("LeakyRelu", [Z], out, alpha=0.01)
        # onnxruntime's double LeakyRelu rounds alpha to float32: max(z, 0.01 z) in double
        slope = g.const(f"slope_{g.count}", np.array(0.01))
        return g.op("Max", [Z, g.op("Mul", [Z, slope])], out)
    if name == "softmax":
        return g.op("Softmax", [Z], out, axis=-1)
    if name == "softplus":
        if g.dtype == np.float32:
            return g.op("Softplus", [Z], out)
        # onnxruntime has no double Softplus kernel: max(z, 0) + log(1 + e^−|z|)
        e = g.op("Exp", [g.op("Neg", [g.op("Abs", [Z])])])
        one = g.const(f"one_{g.count}", np.ones(()))
        return g.op("Add", [g.op("Relu", [Z]), g.op("Log", [g.op("Add", [one, e])])], out)
    raise ConfigError(f"to_onnx: activation {name!r} has no ONNX operator here")


def _input_scaling(value: object, n_inputs: int) -> tuple[Array, Array]:
    """``(mean, scale)`` as two float64 vectors of length ``n_inputs``, finite, scale > 0."""
    name = "input_scaling"
    if not isinstance(value, tuple | list | np.ndarray) or len(value) != 2:
        raise ConfigError(f"{name}: expected a pair (mean, scale), got {type(value).__name__}")
    arrays = []
    for part, v in zip(("mean", "scale"), value):
        try:
            a = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: {part} must be numbers, got {v!r}") from None
        if a.shape != (n_inputs,):
            raise ConfigError(f"{name}: {part} must have one value per input column, shape "
                              f"({n_inputs},), got shape {a.shape}")
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise ConfigError(f"{name}: {part} must be finite; column {bad[0]} is {a[bad[0]]}")
        arrays.append(a)
    mean, scale = arrays
    bad = np.flatnonzero(scale <= 0)
    if bad.size:
        raise ConfigError(f"{name}: scale must be > 0; column {bad[0]} is {scale[bad[0]]}")
    return mean, scale


def to_onnx(model: Network | Any, path: str | os.PathLike[str], *,
            input_scaling: tuple[ArrayLike, ArrayLike] | None = None) -> Path:
    """Write the network as an ONNX model (input ``X``: (N, n_in), output ``Y``: (N, n_out)).

    Each layer is ``Gemm(A, W, b, transB=1)`` followed by its activation
    (Tanh, Sigmoid, Relu, LeakyRelu, Softplus, Softmax), in the network's
    dtype; opset 17.  The file is written to a temporary file in the same
    folder and renamed over ``path``, so it is never left half-written.

    Parameters
    ----------
    model : Network or fitted chainrule estimator
    path : path-like
    input_scaling : (mean, scale), optional
        One value per input column each: the graph then starts with
        ``Sub`` and ``Div``, ``x' = (x − mean) / scale``, so the model takes
        raw inputs and gives the network's outputs on the standardised ones.
        The input ``X`` is then float64 whatever the network's dtype: the
        scaling is done in float64, as chainrule does it, and a float32
        network gets the result through a ``Cast``.  ``scale`` must be
        positive, both finite.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigError
        If ``input_scaling`` is not two such arrays (the message names it), or
        ``path`` cannot be written.
    """
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:  # pragma: no cover - onnx is installed in CI
        raise ImportError("onnx is needed here: pip install 'chainrule[onnx]'") from exc
    from .utils.version import __version__

    net = _as_network(model, "to_onnx")
    scaling = None if input_scaling is None else _input_scaling(input_scaling, net.n_inputs)
    elem = onnx.TensorProto.DOUBLE if net.dtype == np.float64 else onnx.TensorProto.FLOAT
    x_elem = elem
    g = _Graph(helper, numpy_helper, net.dtype)
    A = "X"
    if scaling is not None:
        # standardised in float64, as chainrule does, then converted: raw values rounded
        # to float32 first would lose digits whenever |mean| is large next to scale
        mean, scale = scaling
        x_elem = onnx.TensorProto.DOUBLE
        A = g.op("Div", [g.op("Sub", [A, g.const("input_mean", mean, np.float64)]),
                         g.const("input_scale", scale, np.float64)], "X_scaled")  # (N, n_in)
        if net.dtype != np.float64:
            A = g.op("Cast", [A], "X_scaled_cast", to=elem)
    for l, (W, b, act) in enumerate(zip(*_host_weights(net), net.activations), 1):
        last = l == net.n_layers
        identity = act.name == "identity"
        A = g.op("Gemm", [A, g.const(f"W{l}", W), g.const(f"b{l}", b)],
                 "Y" if last and identity else f"Z{l}", transB=1)  # (N, n_l)
        if not identity:
            A = _onnx_activation(g, act.name, A, "Y" if last else f"A{l}")
    graph = helper.make_graph(
        g.nodes, "chainrule_network",
        [helper.make_tensor_value_info("X", x_elem, ["N", net.n_inputs])],
        [helper.make_tensor_value_info("Y", elem, ["N", net.n_outputs])],
        initializer=g.initializers)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
                                   producer_name="chainrule", producer_version=__version__)
    onnx_model.ir_version = ONNX_IR_VERSION
    props: dict[str, Any] = {
        "layer_sizes": list(net.layer_sizes),
        "activations": [a.name for a in net.activations],
        "cost": net.cost.name, "dtype": net.dtype.name}
    if scaling is not None:
        props["input_scaling"] = {"mean": scaling[0].tolist(), "scale": scaling[1].tolist()}
    helper.set_model_props(onnx_model, {"chainrule": json.dumps(props)})
    onnx.checker.check_model(onnx_model)
    target = Path(path)
    blob = onnx_model.SerializeToString()
    try:
        return atomic_write(target, lambda f: f.write(blob))
    except OSError as exc:
        raise ConfigError(f"path: cannot write {target}: "
                          f"{os_error_reason(exc, target.parent)}") from exc
