"""Interop: round trips with scikit-learn, PyTorch and ONNX agree to rounding."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from sklearn import neural_network as sk
from sklearn.exceptions import ConvergenceWarning

from chainrule import ChainruleError, ConfigError, Network
from chainrule.estimators import MLPClassifier, MLPRegressor
from chainrule.interop import from_sklearn, from_torch, to_onnx, to_sklearn, to_torch

ALL_HIDDEN = ["tanh", "logistic", "relu", "leaky_relu", "softplus", "identity"]
# (activations per layer, cost): every activation appears, softmax and logistic outputs too
NETWORKS = [
    (["tanh", "relu", "identity"], "squared_error"),
    (["leaky_relu", "softplus", "softmax"], "cross_entropy"),
    (["logistic", "identity", "logistic"], "binary_cross_entropy"),
    (["softplus", "tanh", "tanh"], "squared_error"),
]


def make_net(acts: list[str], cost: str, dtype: object = np.float64, seed: int = 1) -> Network:
    return Network([4, 6, 5, 3], acts, cost=cost, dtype=dtype, random_state=seed)


def inputs(rng: np.random.Generator, n: int = 40) -> np.ndarray:
    X = rng.normal(scale=2.0, size=(n, 4))
    X[0] = [30.0, -30.0, 25.0, -25.0]  # large z: saturation, softplus's linear tail
    return X


def torch_cost(out: torch.Tensor, Y: torch.Tensor, cost: str) -> torch.Tensor:
    """The chainrule costs written in torch: C = mean over examples of C_k."""
    if cost == "squared_error":
        return ((out - Y) ** 2).sum(dim=1).mean()
    if cost == "binary_cross_entropy":
        return -(Y * torch.log(out) + (1 - Y) * torch.log(1 - out)).sum(dim=1).mean()
    return -(Y * torch.log(out)).sum(dim=1).mean()


# ---------------------------------------------------------------------------
# scikit-learn


@pytest.fixture(scope="module")
def sklearn_models():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 4))
    targets = {
        "multiclass": rng.integers(0, 3, 60),
        "binary": np.array(["no", "yes"])[rng.integers(0, 2, 60)],
        "multilabel": rng.integers(0, 2, (60, 3)),
    }
    models = {name: sk.MLPClassifier((7, 5), activation="tanh", solver="lbfgs",
                                     random_state=0, max_iter=40) for name in targets}
    models["regression"] = sk.MLPRegressor(hidden_layer_sizes=(7,), activation="relu",
                                           solver="lbfgs", random_state=0, max_iter=40)
    targets["regression"] = X @ [1.0, -2.0, 0.5, 3.0]
    with pytest.warns(ConvergenceWarning):
        for name, model in models.items():
            model.fit(X, targets[name])
    return X, models


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "regression"])
def test_from_sklearn_predicts_what_sklearn_predicts(sklearn_models, kind):
    X, model = sklearn_models[0], sklearn_models[1][kind]
    net = from_sklearn(model)
    assert net.layer_sizes == (4, *model.hidden_layer_sizes, model.n_outputs_)
    A = net.predict(X)
    if kind == "regression":
        np.testing.assert_allclose(A[:, 0], model.predict(X), rtol=1e-12, atol=1e-12)
        assert net.cost.name == "half_squared_error"  # scikit-learn's objective
        assert net.cost(A, A, A + 0.1) == pytest.approx(0.5 * 0.1**2, rel=1e-12)  # ½|a − y|²
        again = to_sklearn(net)
        assert isinstance(again, sk.MLPRegressor)
        np.testing.assert_allclose(again.predict(X), model.predict(X), rtol=1e-12, atol=1e-12)
        return
    expected = model.predict_proba(X)
    if kind == "binary":
        expected = expected[:, 1:]
    np.testing.assert_allclose(A, expected, rtol=1e-12, atol=1e-12)
    assert net.cost.name == ("cross_entropy" if kind == "multiclass" else "binary_cross_entropy")
    # and back: the rebuilt scikit-learn model decodes the same labels
    again = to_sklearn(net, classes=model.classes_ if kind != "multilabel" else None)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize(("acts", "cost"), [
    (["tanh", "tanh", "identity"], "squared_error"),
    (["tanh", "tanh", "identity"], "half_squared_error"),
    (["relu", "relu", "tanh"], "squared_error"),  # the exercise's tanh output survives
    (["logistic", "logistic", "softmax"], "cross_entropy"),
    (["identity", "identity", "logistic"], "binary_cross_entropy"),
])
def test_to_sklearn_predicts_what_the_network_predicts(rng, acts, cost):
    net = make_net(acts, cost)
    X = inputs(rng)
    est = to_sklearn(net)
    A = net.predict(X)
    if cost in ("squared_error", "half_squared_error"):
        assert isinstance(est, sk.MLPRegressor)
        np.testing.assert_allclose(est.predict(X), A, rtol=1e-12, atol=1e-12)
    else:
        assert isinstance(est, sk.MLPClassifier)
        np.testing.assert_allclose(est.predict_proba(X), A, rtol=1e-12, atol=1e-12)
        assert est.score(X, est.predict(X)) == 1.0
    back = from_sklearn(est)
    np.testing.assert_array_equal(back.params, net.params)
    assert [a.name for a in back.activations] == acts


def test_two_softmax_outputs_become_one_logistic_output(rng):
    net = Network([3, 4, 2], "tanh", cost="cross_entropy", random_state=0)
    X = rng.normal(size=(30, 3))
    est = to_sklearn(net, classes=["cat", "dog"])
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 1
    np.testing.assert_allclose(est.predict_proba(X), net.predict(X), rtol=1e-12, atol=1e-12)
    labels = np.array(["cat", "dog"])[net.predict(X).argmax(axis=1)]
    np.testing.assert_array_equal(est.predict(X), labels)


def test_chainrule_estimators_move_with_their_labels_and_feature_names():
    import pandas as pd

    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    y = np.where(X["a"] + X["b"] > 0, "up", "down")
    ours = MLPClassifier((5,), solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    theirs = to_sklearn(ours)
    assert list(theirs.classes_) == ["down", "up"]
    assert list(theirs.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(theirs.predict(X), ours.predict(X))
    np.testing.assert_allclose(theirs.predict_proba(X), ours.predict_proba(X), atol=1e-12)
    back = from_sklearn(ours)  # a copy of the estimator's network
    assert back is not ours.network_
    np.testing.assert_array_equal(back.params, ours.network_.params)
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0,
                       max_iter=300).fit(X, X["c"])
    theirs = to_sklearn(reg)
    assert isinstance(theirs, sk.MLPRegressor)
    np.testing.assert_allclose(theirs.predict(X), reg.predict(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "squared_error_no_half"])
def test_squared_error_classifiers_are_refused_but_their_networks_convert(loss):
    """scikit-learn's MLPClassifier trains only log-loss: no classifier of it predicts the same."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "up", "down")
    clf = MLPClassifier((5,), loss=loss, solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    with pytest.raises(ConfigError, match=r"trains only log-loss.*to_sklearn\(model.network_\)"):
        to_sklearn(clf)
    reg = to_sklearn(clf.network_)  # a regressor of its scores, without labels
    assert isinstance(reg, sk.MLPRegressor)
    assert not hasattr(reg, "classes_") and not hasattr(reg, "_label_binarizer")
    np.testing.assert_allclose(reg.predict(X), clf.predict_proba(X)[:, 1], atol=1e-12)


def test_multiclass_one_vs_rest_classifier_is_refused_but_its_network_converts():
    """chainrule normalises one-vs-rest rows in predict_proba; scikit-learn would not."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 2))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])
    clf = MLPClassifier((6,), output_activation="logistic", solver="lbfgs", random_state=0,
                        max_iter=300).fit(X, y)
    with pytest.raises(ConfigError, match=r"one-vs-rest.*normalises each row"):
        to_sklearn(clf)
    multilabel = to_sklearn(clf.network_)  # the raw logistic outputs, exactly
    assert multilabel.out_activation_ == "logistic" and multilabel.n_outputs_ == 3
    np.testing.assert_allclose(multilabel.predict_proba(X), clf.network_.predict(X),
                               rtol=1e-12, atol=1e-12)
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P, clf.network_.predict(X) / clf.network_.predict(X).sum(
        axis=1, keepdims=True), rtol=1e-12)
    # a softmax classifier of the same targets still converts
    softmax = MLPClassifier((6,), solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    np.testing.assert_allclose(to_sklearn(softmax).predict_proba(X), softmax.predict_proba(X),
                               atol=1e-12)


def test_sklearn_conversion_errors_name_the_problem(rng):
    with pytest.raises(ConfigError, match="'leaky_relu'"):
        to_sklearn(make_net(["leaky_relu", "tanh", "identity"], "squared_error"))
    with pytest.raises(ConfigError, match="one activation for every hidden layer"):
        to_sklearn(make_net(["tanh", "relu", "identity"], "squared_error"))
    with pytest.raises(ConfigError, match="'softplus' output"):
        to_sklearn(make_net(["tanh", "tanh", "softplus"], "squared_error"))
    with pytest.raises(ConfigError, match="expected 3 distinct labels"):
        to_sklearn(make_net(["tanh", "tanh", "softmax"], "cross_entropy"), classes=[1, 2])
    with pytest.raises(ChainruleError, match="got str"):
        to_sklearn("model.safetensors")


def test_poisson_models_convert_both_ways(rng):
    X, y = rng.normal(size=(20, 2)), rng.integers(1, 5, 20)
    poisson = sk.MLPRegressor(loss="poisson", hidden_layer_sizes=(3,), max_iter=5,
                              random_state=0)
    with pytest.warns(ConvergenceWarning):
        poisson.fit(X, y)
    net = from_sklearn(poisson)
    assert net.cost.name == "poisson" and net.activations[-1].name == "exp"
    np.testing.assert_allclose(net.predict(X)[:, 0], poisson.predict(X), rtol=1e-12)
    back = to_sklearn(net)
    assert back.loss == "poisson" and back.out_activation_ == "exp"
    np.testing.assert_allclose(back.predict(X), poisson.predict(X), rtol=1e-12)
    with pytest.raises(ConfigError, match=r"'exp' has no torch\.nn module"):
        to_torch(net)


def test_onnx_exports_a_poisson_network(tmp_path, rng):
    import onnxruntime

    net = Network([4, 6, 2], "tanh", cost="poisson", random_state=0)
    path = tmp_path / "poisson.onnx"
    to_onnx(net, path)
    X = inputs(rng)[1:]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_allclose(got, net.predict(X), rtol=1e-12)


# ---------------------------------------------------------------------------
# PyTorch


@pytest.mark.parametrize(("acts", "cost"), NETWORKS)
def test_to_torch_outputs_and_gradients_match(rng, acts, cost):
    net = make_net(acts, cost)
    seq = to_torch(net)
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    n_modules = 3 + sum(a != "identity" for a in acts)
    assert len(seq) == n_modules
    X = inputs(rng)
    Y = rng.uniform(size=(len(X), 3))
    if cost == "cross_entropy":
        Y = np.eye(3)[rng.integers(0, 3, len(X))]
    out = seq(torch.from_numpy(X))
    np.testing.assert_allclose(out.detach().numpy(), net.predict(X), rtol=1e-12, atol=1e-12)

    X_mod = X[1:]  # the gradient compared away from saturation, where log(1 − a) is exact
    C = torch_cost(seq(torch.from_numpy(X_mod)), torch.from_numpy(Y[1:]), cost)
    C.backward()
    cost_value, _ = net.cost_and_gradient(X_mod, Y[1:])
    assert C.item() == pytest.approx(cost_value, rel=1e-12)
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    for l, lin in enumerate(linears):
        np.testing.assert_allclose(lin.weight.grad.numpy(), net.dW[l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(lin.bias.grad.numpy(), net.db[l], rtol=1e-10, atol=1e-12)


def test_torch_softplus_keeps_its_tail():
    """torch's Softplus returns z above its threshold; ours adds e^−z until it rounds away."""
    net = Network([1, 1], "softplus", weights=[[[1.0]]], biases=[[0.0]])
    z = np.linspace(-50.0, 50.0, 401)[:, None]  # 20 < z < 40: e^−z still counts
    out = to_torch(net)(torch.from_numpy(z)).detach().numpy()
    np.testing.assert_allclose(out, net.predict(z), rtol=1e-14, atol=0)


@pytest.mark.parametrize(("acts", "cost"), NETWORKS)
def test_torch_round_trip_is_exact(acts, cost):
    net = make_net(acts, cost)
    back = from_torch(to_torch(net), cost=cost)
    np.testing.assert_array_equal(back.params, net.params)
    assert [a.name for a in back.activations] == acts
    assert back.cost.name == cost


def test_float32_stays_float32(rng):
    net = make_net(["tanh", "softplus", "softmax"], "cross_entropy", dtype=np.float32)
    seq = to_torch(net)
    assert all(p.dtype == torch.float32 for p in seq.parameters())
    X = inputs(rng).astype(np.float32)
    out = seq(torch.from_numpy(X)).detach().numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-5, atol=1e-6)
    back = from_torch(seq)
    assert back.dtype == np.float32 and back.cost.name == "cross_entropy"


def test_from_torch_reads_hand_written_sequentials(rng):
    nn = torch.nn
    torch.manual_seed(0)
    seq = nn.Sequential(
        nn.Linear(4, 6, dtype=torch.float64), nn.LeakyReLU(0.01),
        nn.Sequential(nn.Linear(6, 5, dtype=torch.float64), nn.Softplus()),
        nn.Identity(),
        nn.Linear(5, 5, bias=False, dtype=torch.float64),  # identity between two Linears
        nn.Linear(5, 2, dtype=torch.float64), nn.Sigmoid(),
    )
    net = from_torch(seq)
    assert net.layer_sizes == (4, 6, 5, 5, 2)
    assert [a.name for a in net.activations] == ["leaky_relu", "softplus", "identity",
                                                 "logistic"]
    assert net.cost.name == "binary_cross_entropy"
    assert not net.b[2].any()
    X = rng.normal(size=(20, 4))
    np.testing.assert_allclose(net.predict(X), seq(torch.from_numpy(X)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    assert from_torch(nn.Sequential(nn.Linear(3, 1, dtype=torch.float64))).cost.name == \
        "squared_error"


@pytest.mark.parametrize(("modules", "message"), [
    (lambda nn: [nn.Linear(3, 4), nn.Dropout(0.1), nn.Linear(4, 1)], r"module 1 \(Dropout\)"),
    (lambda nn: [nn.Linear(3, 4), nn.ELU(), nn.Linear(4, 1)], "ELU is not supported"),
    (lambda nn: [nn.Linear(3, 4), nn.LeakyReLU(0.2)], "negative_slope 0.2"),
    (lambda nn: [nn.Linear(3, 4), nn.Softplus(beta=2)], "beta=2"),
    (lambda nn: [nn.Linear(3, 4), nn.Softmax(dim=0)], "dim=0"),
    (lambda nn: [nn.Tanh(), nn.Linear(3, 4)], "before any Linear"),
    (lambda nn: [nn.Linear(3, 4), nn.Tanh(), nn.ReLU()], "one activation per"),
    (lambda nn: [nn.Linear(3, 4), nn.Linear(5, 1)], "takes 5 inputs"),
    (lambda nn: [nn.Linear(3, 4), nn.Softmax(dim=-1), nn.Linear(4, 1)],
     "only be used on the output layer"),
    (lambda nn: [nn.Linear(3, 4, dtype=torch.float16)], "float32 or all float64"),
    (lambda nn: [nn.Linear(3, 4), nn.Linear(4, 1, dtype=torch.float64)], "float32 or all"),
    (lambda nn: [nn.Linear(3, 4, dtype=torch.bfloat16), nn.Tanh()], r"got \['bfloat16'\]"),
    (lambda nn: [], "no Linear layer"),
])
def test_from_torch_refuses_what_it_cannot_represent(modules, message):
    with pytest.raises(ConfigError, match=message):
        from_torch(torch.nn.Sequential(*modules(torch.nn)))


def test_estimators_convert_to_torch():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0, max_iter=300)
    reg.fit(X, X.sum(axis=1))
    out = to_torch(reg)(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(out[:, 0], reg.predict(X), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# ONNX


def run_onnx(path: os.PathLike[str], X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["Y"], {"X": X})[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("acts", "cost"), NETWORKS)
def test_onnxruntime_predicts_what_the_network_predicts(tmp_path, rng, dtype, acts, cost):
    net = make_net(acts, cost, dtype=dtype)
    path = to_onnx(net, tmp_path / "net.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("Gemm") == 3
    X = inputs(rng).astype(dtype)
    Y = run_onnx(path, X)
    assert Y.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Y, net.predict(X), rtol=tol, atol=tol)


def test_onnx_uses_the_named_operators(tmp_path):
    net = make_net(["leaky_relu", "softplus", "softmax"], "cross_entropy", dtype=np.float32)
    ops = [n.op_type for n in onnx.load(str(to_onnx(net, tmp_path / "m.onnx"))).graph.node]
    assert ops == ["Gemm", "LeakyRelu", "Gemm", "Softplus", "Gemm", "Softmax"]
    net = make_net(["tanh", "logistic", "relu"], "squared_error", dtype=np.float32)
    ops = [n.op_type for n in onnx.load(str(to_onnx(net, tmp_path / "m.onnx"))).graph.node]
    assert ops == ["Gemm", "Tanh", "Gemm", "Sigmoid", "Gemm", "Relu"]


def test_onnx_file_is_replaced_atomically(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    path.chmod(0o640)
    to_onnx(make_net(["tanh", "tanh", "identity"], "squared_error"), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no temp file left
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert '"cost": "squared_error"' in meta["chainrule"]
    with pytest.raises(ConfigError, match="missing' does not exist"):
        to_onnx(make_net(["tanh", "tanh", "identity"], "squared_error"),
                tmp_path / "missing" / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_onnx_from_a_fitted_classifier(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(90, 2))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])
    clf = MLPClassifier((6,), solver="lbfgs", random_state=0, max_iter=300,
                        dtype="float32").fit(X, y)
    Y = run_onnx(to_onnx(clf, tmp_path / "clf.onnx"), X.astype(np.float32))
    np.testing.assert_allclose(Y, clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.classes_[Y.argmax(axis=1)], clf.predict(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("acts", "cost"), NETWORKS[:2])
def test_onnx_input_scaling_takes_raw_inputs(tmp_path, rng, dtype, acts, cost):
    net = make_net(acts, cost, dtype=dtype)
    mean = np.array([100.0, -3.0, 0.5, 2e3])
    scale = np.array([20.0, 0.25, 1.0, 5e2])
    path = to_onnx(net, tmp_path / "scaled.onnx", input_scaling=(mean, scale))
    model = onnx.load(str(path))
    first = ["Sub", "Div", "Gemm"] if dtype == np.float64 else ["Sub", "Div", "Cast", "Gemm"]
    assert [n.op_type for n in model.graph.node][:len(first)] == first
    meta = json.loads({p.key: p.value for p in model.metadata_props}["chainrule"])
    assert meta["input_scaling"] == {"mean": mean.tolist(), "scale": scale.tolist()}
    # the scaling is done in float64, as chainrule's Standardizer does; then the network's dtype
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    raw = mean + scale * inputs(rng)
    Y = run_onnx(path, raw)
    assert Y.dtype == dtype
    expected = net.predict(((raw - mean) / scale).astype(dtype))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Y, expected, rtol=tol, atol=tol)
    # the raw inputs themselves would give something else: the scaling is really applied
    assert np.abs(net.predict(raw.astype(dtype)) - expected).max() > 1e-2


def test_onnx_input_scaling_keeps_large_offsets_exact_in_float32(tmp_path, rng):
    # latitude/longitude-like columns: rounding raw values to float32 before subtracting
    # the mean would cost digits (4e-2 at offsets of 1e6); the graph subtracts in float64
    net = make_net(["tanh", "tanh", "identity"], "half_squared_error", dtype=np.float32)
    mean, scale = np.array([1e6, -2e5, 3e4, 1e5]), np.array([1.0, 0.5, 2.0, 1.0])
    path = to_onnx(net, tmp_path / "geo.onnx", input_scaling=(mean, scale))
    raw = mean + scale * inputs(rng)
    expected = net.predict(((raw - mean) / scale).astype(np.float32))
    np.testing.assert_allclose(run_onnx(path, raw), expected, rtol=1e-5, atol=1e-5)


def test_onnx_input_scaling_from_a_standard_scaler(tmp_path, rng):
    from sklearn.preprocessing import StandardScaler

    X = rng.normal(loc=[5.0, -2.0, 40.0, 0.0], scale=[2.0, 0.1, 10.0, 3.0], size=(60, 4))
    scaler = StandardScaler().fit(X)
    net = make_net(["tanh", "relu", "identity"], "half_squared_error")
    path = to_onnx(net, tmp_path / "m.onnx", input_scaling=(scaler.mean_, scaler.scale_))
    np.testing.assert_allclose(run_onnx(path, X), net.predict(scaler.transform(X)),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("scaling", "message"), [
    (([0.0] * 3, [1.0] * 4), r"mean must have one value per input column, shape \(4,\)"),
    (([0.0] * 4, [[1.0] * 4]), r"scale must have one value .* got shape \(1, 4\)"),
    (([0.0, np.nan, 0.0, 0.0], [1.0] * 4), "mean must be finite; column 1 is nan"),
    (([0.0] * 4, [1.0, 1.0, np.inf, 1.0]), "scale must be finite; column 2 is inf"),
    (([0.0] * 4, [1.0, 0.0, 1.0, 1.0]), r"scale must be > 0; column 1 is 0.0"),
    (([0.0] * 4, [1.0, 1.0, 1.0, -2.0]), r"scale must be > 0; column 3 is -2.0"),
    (([0.0] * 4, ["a", 1.0, 1.0, 1.0]), "scale must be numbers"),
    (([0.0] * 4,), r"expected a pair \(mean, scale\)"),
    ("standard", r"expected a pair \(mean, scale\), got str"),
])
def test_onnx_input_scaling_is_validated(tmp_path, scaling, message):
    net = make_net(["tanh", "tanh", "identity"], "squared_error")
    with pytest.raises(ConfigError, match=r"^input_scaling: " + message):
        to_onnx(net, tmp_path / "m.onnx", input_scaling=scaling)
    assert not list(tmp_path.iterdir())  # nothing written
