"""Tests of the plot objects (chainrule.viz's Displays) and what the plot helpers accept.

Every helper takes a fitted estimator, a Model and a Network, with integer or text
labels; keyword arguments reach matplotlib; the tests read back what was drawn.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import LogNorm, to_rgb
from sklearn.exceptions import ConvergenceWarning

from chainrule import ConfigError, DataError, Model, Network, load_model
from chainrule.estimators import MLPClassifier, MLPRegressor
from chainrule.nn.landscape import gradient_rms, not_toy
from chainrule.nn.ledger import explain as explain_network
from chainrule.train import fit
from chainrule.viz import (
    CostCurveDisplay,
    DecisionRegionsDisplay,
    FitDisplay,
    LandscapeDisplay,
    NetworkDisplay,
    explain,
    plot_cost_curve,
    plot_curve_2d,
    plot_decision_regions,
    plot_fit_1d,
    plot_landscape,
    plot_network,
)

NAMES = np.array(["cat", "dog", "eel"])


@pytest.fixture(autouse=True)
def no_figures_left_open_and_never_shown(monkeypatch):
    """Every test closes its figures; nothing calls plt.show."""
    def show(*args, **kwargs):
        raise AssertionError("plt.show was called")

    monkeypatch.setattr(plt, "show", show)
    plt.close("all")
    yield
    left = plt.get_fignums()
    plt.close("all")
    assert left == [], f"figures left open: {left}"


def trained_classifiers(seed, labels_of):
    """Two inputs, three classes (integers 0-2, given as ``labels_of(y)``), and one trained
    thing of each kind."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 0] > 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs are enough here
        clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
        clf.fit(X, labels_of(y))
    model = Model(Network([2, 5, 3], "tanh", cost="cross_entropy", random_state=0))
    model.fit(X, labels_of(y), epochs=20, learning_rate=0.05, random_state=0)
    net = Network([2, 5, 3], "tanh", cost="cross_entropy", random_state=1)
    return X, y, {"estimator": clf, "model": model, "network": net}


@pytest.fixture(scope="module")
def three_classes():
    """Text labels (cat, dog, eel)."""
    return trained_classifiers(0, lambda y: NAMES[y])


KINDS = ["estimator", "model", "network"]


def labels_of(y, kind):
    return y if kind == "int" else NAMES[y]


def close(ax):
    plt.close(ax.figure)


# -- every helper takes every trained thing, and plain labels -----------------------------


@pytest.mark.parametrize("labels", ["int", "text"])
@pytest.mark.parametrize("kind", KINDS)
def test_decision_regions_take_any_trained_thing_and_plain_labels(three_classes, kind, labels):
    X, y, fitted = three_classes
    thing = fitted[kind]
    if kind != "network" and labels == "int":
        # a model's classes are its labels (text here): numbers are not among them
        with pytest.raises(DataError, match="labels: row 0"):
            plot_decision_regions(thing, X, y)
        return
    ax = plot_decision_regions(thing, X, labels_of(y, labels), resolution=30)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == (["0", "1", "2"] if labels == "int" else ["cat", "dog", "eel"])
    # each point is drawn in its class's colour
    colours = np.array([to_rgb(f"C{j}") for j in range(3)])
    np.testing.assert_allclose(ax.collections[-1].get_facecolors()[:, :3], colours[y])
    close(ax)


@pytest.mark.parametrize("kind", KINDS)
def test_explain_takes_any_trained_thing_and_text_labels(three_classes, kind):
    X, y, fitted = three_classes
    thing = fitted[kind]
    ledger = explain(thing, X, NAMES[y], "W2[1,3]", example=4)
    net = thing.network_ if kind == "estimator" else thing.network if kind == "model" \
        else thing
    Xs = thing.transform(X) if kind == "model" else X
    reference = explain_network(net, Xs, np.eye(3)[y], "W2[1,3]", example=4)
    assert ledger.value == pytest.approx(reference.value, rel=1e-12)
    assert ledger.product == pytest.approx(reference.product, rel=1e-12)
    # one example: a single label (a bare network's classes are its outputs' numbers)
    one = explain(thing, X[4], y[4] if kind == "network" else NAMES[y[4]], "b1[0]")
    assert one.n_examples == 1
    assert one.product == pytest.approx(explain_network(net, Xs[4], np.eye(3)[y[4]],
                                                        "b1[0]").product, rel=1e-12)


def test_explain_of_a_network_takes_integer_labels(three_classes):
    X, y, fitted = three_classes
    net = fitted["network"]
    ledger = explain(net, X, y, "b2[2]")
    assert ledger.value == pytest.approx(explain_network(net, X, np.eye(3)[y], "b2[2]").value)
    with pytest.raises(DataError, match=r"y: row \d+ \(counting from 0\): label 3"):
        explain(net, X, np.where(y == 2, 3, y), "b2[2]")
    with pytest.raises(ConfigError, match=r"y: 2 distinct text labels .* tell 3 classes apart"):
        explain(net, X, np.where(y == 2, "cat", NAMES[y]), "b2[2]")


@pytest.mark.parametrize("kind", KINDS)
def test_landscape_of_any_trained_thing(three_classes, kind):
    X, y, fitted = three_classes
    thing = fitted[kind]
    ax = plot_landscape(thing, X=X, y=NAMES[y], levels=8, cmap="viridis")
    assert ax.collections[0].get_cmap().name == "viridis"  # kwargs reach contourf
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["network's values", "gradient descent", "start", "end (step 50)"]
    close(ax)
    with pytest.raises(ConfigError, match="X, y"):
        plot_landscape(thing, X, NAMES[y])


@pytest.mark.parametrize("kind", KINDS)
def test_network_diagram_of_any_trained_thing(three_classes, kind):
    _, _, fitted = three_classes
    ax = plot_network(fitted[kind], alpha=0.25)
    edges = ax.collections[0]
    assert edges.get_alpha() == 0.25 and len(edges.get_segments()) == 2 * 5 + 5 * 3
    close(ax)


def test_cost_curve_of_any_trained_thing(three_classes):
    _, _, fitted = three_classes
    clf, model, net = fitted["estimator"], fitted["model"], fitted["network"]
    ax = plot_cost_curve(clf, color="black")
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), clf.loss_curve_)
    assert line.get_color() == "black" and ax.get_ylabel() == "cost C (cross_entropy)"
    close(ax)
    ax = plot_cost_curve(model)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), list(model.history.cost))
    close(ax)
    with pytest.raises(ConfigError, match="history: a Network keeps no record"):
        plot_cost_curve(net)
    ax = plot_cost_curve(net, history={"cost": [3.0, 2.0, 1.0]})
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    close(ax)


def test_cost_curve_of_a_loaded_model_says_what_it_lacks(three_classes, tmp_path):
    _, _, fitted = three_classes
    loaded = load_model(fitted["model"].save(tmp_path / "m.safetensors"))
    with pytest.raises(ConfigError, match="keeps only its summary"):
        CostCurveDisplay.from_model(loaded)


def test_an_estimators_validation_score_goes_on_the_twin_axis():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=15, early_stopping=True,
                            random_state=0).fit(X, y)
    display = CostCurveDisplay.from_estimator(clf)
    score = display.twin_.get_lines()[0]
    assert score.get_label() == "validation accuracy"
    np.testing.assert_array_equal(score.get_ydata(), clf.validation_scores_)
    close(display.ax_)


def test_refuses_what_is_not_a_trained_thing():
    with pytest.raises(ConfigError, match="expected a fitted chainrule estimator"):
        plot_network("a network")
    with pytest.raises(ConfigError, match="not fitted yet"):
        plot_network(MLPRegressor())


# -- what is drawn ---------------------------------------------------------------------


def trained_not_gate():
    net, X, Y = not_toy()
    fit(net, X, Y, epochs=300, optimizer="gd", learning_rate=0.5, batch_size=None)
    return net, X, Y


@pytest.mark.parametrize("how", ["display", "function"])
def test_the_fit_is_drawn_on_a_dense_grid(how):
    net, X, Y = trained_not_gate()
    if how == "display":
        display = FitDisplay.from_network(net, X, Y, resolution=101, linewidth=3)
        ax, (line,) = display.ax_, display.lines_
        assert line.get_linewidth() == 3  # kwargs reach the line
    else:
        ax = plot_fit_1d(net, X, Y)
        line = ax.get_lines()[1]  # the target's points, then the network's line
    x, a = line.get_xdata(), line.get_ydata()
    assert x.size >= 101 and x[0] == pytest.approx(-0.1) and x[-1] == pytest.approx(1.1)
    np.testing.assert_allclose(a, net.predict(x[:, None])[:, 0], rtol=1e-12)
    # half way between the two training points the line is the network's value there,
    # far from the straight line between the network's values at x = 0 and x = 1
    middle = float(np.interp(0.5, x, a))
    assert middle == pytest.approx(net.predict([[0.5]])[0, 0], abs=1e-3)
    ends = net.predict(X)[:, 0]
    assert abs(middle - ends.mean()) > 0.1
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1.0, 0.0])  # the targets
    close(ax)


def test_a_model_fit_is_drawn_in_the_datas_own_units():
    x = np.linspace(10.0, 20.0, 40)
    y = np.sin(x / 2)
    model = Model(Network([1, 8, 1], "tanh", random_state=0))
    model.fit(x[:, None], y, epochs=30, learning_rate=0.05, random_state=0)
    display = FitDisplay.from_model(model, x, y, resolution=50)
    (line,) = display.lines_
    grid = line.get_xdata()
    assert grid[0] == pytest.approx(9.0) and grid[-1] == pytest.approx(21.0)
    np.testing.assert_allclose(line.get_ydata(), model.outputs(grid[:, None])[:, 0])
    close(display.ax_)


def test_the_heart_curve_is_drawn_on_a_dense_grid():
    t = np.linspace(0, 1, 30)
    Y = np.column_stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)])
    net = Network([1, 6, 2], "tanh", "identity", random_state=0)
    ax = plot_curve_2d(net, t, y=Y, color="purple")
    target, curve = ax.get_lines()
    np.testing.assert_array_equal(target.get_xdata(), Y[:, 0])
    grid = np.linspace(-0.1, 1.1, 400)
    np.testing.assert_allclose(np.column_stack(curve.get_data()), net.predict(grid[:, None]))
    assert curve.get_color() == "purple" and ax.get_aspect() == 1.0
    close(ax)


def test_regions_are_shaded_by_the_probability():
    # a(x) = σ(4 x₀): class 1 right of x₀ = 0, surer the further from it
    net = Network([2, 1], "logistic", cost="binary_cross_entropy", weights=[[[4.0, 0.0]]],
                  biases=[[0.0]])
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    display = DecisionRegionsDisplay.from_network(net, X, ["no", "yes", "no", "yes"],
                                                  resolution=41, alpha=0.9)
    assert display.surface_.get_alpha() == 0.9  # kwargs reach imshow
    x0 = display.xx0[0]
    p1 = 1 / (1 + np.exp(-4 * x0))
    np.testing.assert_array_equal(display.predicted[0], (p1 >= 0.5).astype(int))
    np.testing.assert_allclose(display.confidence[0], np.maximum(p1, 1 - p1))
    image = display.surface_.get_array()
    blue = np.array(to_rgb("C0"))
    # the far left is deep blue, the boundary (x₀ = 0, column 20) nearly white, the far
    # right orange
    far_left, near, far_right = image[20, 0], image[20, 20], image[20, -1]
    assert np.abs(far_left - (1 - 0.6 * (1 - blue))).max() < 0.02
    assert far_right[0] > far_right[2] and near.min() > 0.85
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["no", "yes"]
    close(display.ax_)


def test_regions_of_outputs_that_are_not_probabilities_are_flat():
    net = Network([2, 2], "tanh", random_state=0)  # squared error on tanh outputs
    X = np.random.default_rng(2).normal(size=(20, 2))
    display = DecisionRegionsDisplay.from_network(net, X, (X[:, 0] > 0).astype(int),
                                                  resolution=10)
    assert display.confidence is None
    A = net.predict(np.column_stack([display.xx0.ravel(), display.xx1.ravel()]))
    np.testing.assert_array_equal(display.predicted.ravel(), A.argmax(axis=1))
    assert display.ax_.get_title() == "Decision regions"
    close(display.ax_)


def digits_like():
    """Sixteen 'pixels', of which the first is always 0, and four classes."""
    rng = np.random.default_rng(3)
    X = rng.random((40, 16))
    X[:, 0] = 0.0
    y = rng.integers(0, 4, 40)
    net = Network([16, 8, 4], "tanh", cost="cross_entropy", random_state=0)
    return net, X, y


def test_a_landscape_defaults_to_the_parameters_that_matter_and_says_so():
    net, X, y = digits_like()
    rms = gradient_rms(net, X, np.eye(4)[y])
    assert rms[net.flat_index("W1[0,0]")] == 0  # the blank pixel's weight
    display = LandscapeDisplay.from_network(net, X, y, x_values=np.linspace(-3, 3, 21),
                                            y_values=np.linspace(-3, 3, 21), n_steps=5)
    top = sorted(np.argsort(-rms)[:2])
    names = net.param_names()
    L = display.landscape
    assert (L.param_x, L.param_y) == (names[top[0]], names[top[1]])
    assert display.note.startswith(f"{names[top[0]]} and {names[top[1]]}: the two parameters")
    assert display.note in display.ax_.get_title().replace("\n", " ")
    # cross-entropy: colours on a log scale, and the path has moved
    assert isinstance(display.surface_.norm, LogNorm)
    assert "log scale" in display.colorbar_.ax.get_ylabel()
    assert np.ptp(display.path.points, axis=0).max() > 0
    close(display.ax_)


def test_a_flat_choice_is_warned_about():
    net, X, y = digits_like()
    with pytest.warns(UserWarning, match=r"no example's cost depends on W1\[0,0\]"):
        display = LandscapeDisplay.from_network(net, X, y, params=("W1[0,0]", "b1[0]"),
                                                x_values=np.linspace(-1, 1, 5),
                                                y_values=np.linspace(-1, 1, 5), path=False,
                                                log=False)
    assert display.note is None and np.ptp(display.landscape.C, axis=1).max() == 0
    close(display.ax_)


def test_every_marker_of_a_landscape_is_in_the_legend():
    net, X, Y = not_toy()
    display = LandscapeDisplay.from_network(net, X, Y, gradient=True, n_steps=10)
    labels = display.ax_.get_legend_handles_labels()[1]
    assert labels == ["network's values", "−∇C (downhill)", "gradient descent", "start",
                      "end (step 10)"]
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == labels
    end = display.ax_.get_lines()[-1]
    assert end.get_marker() == "*"
    np.testing.assert_array_equal(np.column_stack(end.get_data())[0], display.path.points[-1])
    assert not isinstance(display.surface_.norm, LogNorm)  # squared error: linear
    close(display.ax_)


def test_displays_draw_on_the_axes_given_and_keep_them():
    net, X, Y = not_toy()
    fig, axes = plt.subplots(1, 2)
    d1 = NetworkDisplay.from_network(net, ax=axes[0])
    d2 = FitDisplay.from_network(net, X, Y, ax=axes[1])
    assert d1.ax_ is axes[0] and d2.ax_ is axes[1] and d1.figure_ is d2.figure_ is fig
    d1.plot()  # again, on a new figure
    assert d1.ax_ is not axes[0]
    plt.close(d1.figure_)
    plt.close(fig)


def test_a_large_network_diagram_leaves_out_the_middle():
    net = Network([64, 30, 10], "relu", cost="cross_entropy", random_state=0)
    display = NetworkDisplay(net, max_neurons=8).plot()
    assert display.shown_ == [[0, 1, 2, 3, 4, 5, 63], [0, 1, 2, 3, 4, 5, 29],
                              [0, 1, 2, 3, 4, 5, 9]]
    assert len(display.edges_.get_segments()) == 7 * 7 * 2
    assert [t.get_text() for t in display.ax_.texts].count("⋮") == 3
    close(display.ax_)


def test_viz_imports_matplotlib_only_when_drawing():
    code = ("import sys, chainrule.viz, chainrule.viz.fitted; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert matplotlib.get_backend().lower() == "agg"


def test_labels_where_one_hot_rows_are_wanted_get_a_hint():
    net = Network([2, 3, 3], "tanh", cost="cross_entropy", random_state=0)
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"class labels\? the network wants one-hot rows of 3 "
                                         r"columns \(np.eye\(3\)\[labels\]\)"):
        fit(net, X, np.array([0, 1, 2, 1]), epochs=1)
    with pytest.raises(ValueError, match=r"text class labels are taken by chainrule\.Model"):
        explain_network(net, X, np.array(["a", "b", "c", "a"]), "b1[0]")
    with pytest.raises(ValueError, match=r"got 4 values$"):  # no hint for fractions
        fit(net, X, np.array([0.5, 1, 2, 1]), epochs=1)


@pytest.fixture(scope="module")
def integer_classes():
    """Integer labels (0, 1, 2)."""
    return trained_classifiers(4, lambda y: y)


@pytest.mark.parametrize("kind", KINDS)
def test_integer_labels_everywhere(integer_classes, kind):
    X, y, fitted = integer_classes
    thing = fitted[kind]
    ax = plot_decision_regions(thing, X, y, resolution=20)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    close(ax)
    display = LandscapeDisplay.from_estimator(thing, X, y, x_values=np.linspace(-1, 1, 5),
                                              y_values=np.linspace(-1, 1, 5), n_steps=3)
    assert np.isfinite(display.landscape.C).all()
    close(display.ax_)
    ledger = explain(thing, X, y, "b2[0]")
    assert ledger.value == pytest.approx(ledger.backprop, rel=1e-9)


def regressors():
    """A 1-input, 2-output curve and a trained thing of each kind for it."""
    t = np.linspace(0, 1, 30)
    Y = np.column_stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
        reg.fit(t[:, None], Y)
    model = Model(Network([1, 6, 2], "tanh", "identity", random_state=0))
    model.fit(t[:, None], Y, epochs=10, learning_rate=0.05, random_state=0)
    net = Network([1, 6, 2], "tanh", "identity", random_state=1)
    return t, Y, {"estimator": reg, "model": model, "network": net}


@pytest.mark.parametrize("kind", KINDS)
def test_fits_and_curves_of_any_trained_thing(kind):
    t, Y, fitted = regressors()
    thing = fitted[kind]
    outputs = (thing.predict if kind == "estimator" else thing.outputs if kind == "model"
               else thing.predict)
    ax = plot_fit_1d(thing, t, Y)
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("network")]
    assert len(lines) == 2
    grid = lines[0].get_xdata()
    np.testing.assert_allclose(np.column_stack([ln.get_ydata() for ln in lines]),
                               outputs(grid[:, None]), rtol=1e-12)
    close(ax)
    ax = plot_curve_2d(thing, t, y=Y)
    np.testing.assert_allclose(np.column_stack(ax.get_lines()[1].get_data()),
                               outputs(np.linspace(-0.1, 1.1, 400)[:, None]), rtol=1e-12)
    close(ax)
