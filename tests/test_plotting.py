"""Tests of chainrule.viz.plots under Agg: what is drawn, what is returned, what is written."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.quiver import Quiver

from chainrule import ConfigError, Network, ShapeError
from chainrule.nn.landscape import (
    cost_surface,
    descent_path,
    gradient_field,
    not_toy,
)
from chainrule.viz.plots import (
    literal_text,
    plot_cost_curve,
    plot_curve_2d,
    plot_decision_regions,
    plot_fit_1d,
    plot_landscape,
    plot_network,
    save_figure,
)


@pytest.fixture(autouse=True)
def no_figures_left_open():
    """Every test closes the figures it opens; the functions open none behind our back."""
    plt.close("all")
    yield
    left = plt.get_fignums()
    plt.close("all")
    assert left == [], f"figures left open: {left}"


@pytest.fixture
def not_toy_map():
    net, X, Y = not_toy()
    xs = np.linspace(-4, 4, 81)
    return net, X, Y, cost_surface(net, X, Y, "W1[0,0]", "b1[0]", xs, xs)


def colour(fig, ax, x, y):
    """Mean RGB (0 … 1) of the 5×5 pixels around data point (x, y) of the drawn figure."""
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    px, py = ax.transData.transform((x, y))
    row, col = int(np.rint(img.shape[0] - py)), int(np.rint(px))
    return img[row - 2:row + 3, col - 2:col + 3].mean(axis=(0, 1))


def brightness(fig, ax, x, y):
    """Grey level, 0 black … 1 white."""
    return float(colour(fig, ax, x, y).mean())


def test_landscape_is_white_where_low_and_black_where_high(not_toy_map):
    _, _, _, L = not_toy_map
    fig, ax = plt.subplots(figsize=(4, 4), dpi=50)
    assert plot_landscape(L, ax=ax, colorbar=False) is ax
    assert plt.get_fignums() == [fig.number]  # drew on ours, opened nothing
    # (−3, 3) lies in the valley b = −w (C ≈ 2e-5); (−3.5, −3.5) is the far corner (C ≈ 2.5)
    assert brightness(fig, ax, -3.0, 3.0) > 0.9
    assert brightness(fig, ax, -3.5, -3.5) < 0.1
    assert ax.get_xlabel() == "w(1)" and ax.get_ylabel() == "b(1)"
    assert ax.get_xlim() == (-4.0, 4.0) and ax.get_ylim() == (-4.0, 4.0)
    plt.close(fig)


def test_landscape_with_descent_path_and_gradient_arrows(not_toy_map, tmp_path):
    net, X, Y, L = not_toy_map
    path = descent_path(net, X, Y, learning_rate=0.5, n_steps=40)
    field = gradient_field(net, X, Y, x_values=np.linspace(-4, 4, 9),
                           y_values=np.linspace(-4, 4, 7))
    ax = plot_landscape(L, path=path, gradient=field, levels=12)
    fig = ax.figure
    assert len(fig.axes) == 2  # the map and its colour bar
    lines = [ln for ln in ax.get_lines() if ln.get_label() == "gradient descent"]
    assert len(lines) == 1 and lines[0].get_marker() == "o"
    np.testing.assert_array_equal(np.column_stack(lines[0].get_data()), path.points)
    quivers = [c for c in ax.collections if isinstance(c, Quiver)]
    assert len(quivers) == 1
    q = quivers[0]
    assert q.N == 9 * 7
    # arrows point downhill: along −∇C
    U, V = q.U.reshape(7, 9), q.V.reshape(7, 9)
    assert np.all(U * field.dC_dx + V * field.dC_dy <= 0)
    np.testing.assert_allclose(U * field.dC_dy, V * field.dC_dx, atol=1e-12)  # parallel to ∇C
    # each reaches 80 % of a grid cell (1 × 4/3) along its longer side
    np.testing.assert_allclose(np.maximum(np.abs(U) / 1.0, np.abs(V) / (4 / 3)), 0.8)
    out = save_figure(ax, tmp_path / "map.png", dpi=40)
    assert mpimg.imread(out).shape == (200, 240, 4)  # the default 6 × 5 inches at 40 dpi
    plt.close(fig)


def assert_png(ax_or_fig, path, shape):
    """save_figure writes a valid PNG of ``shape`` (rows, columns, RGBA) at 40 dpi."""
    assert mpimg.imread(save_figure(ax_or_fig, path, dpi=40)).shape == shape


def test_cost_curve_with_validation_and_accuracy(tmp_path):
    history = {"epoch": [1, 2, 3, 4], "cost": [1.0, 0.5, 0.2, 0.1],
               "val_cost": [1.1, None, 0.3, 0.25], "val_accuracy": [0.5, 0.6, None, 0.9]}
    ax = plot_cost_curve(history)
    assert ax.get_yscale() == "log"
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels == ["training cost", "validation cost"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [1.1, np.nan, 0.3, 0.25])
    assert len(ax.figure.axes) == 2  # a twin axis for the accuracy
    twin = ax.figure.axes[1]  # the legend is drawn on top of both axes' lines
    legend = [t.get_text() for t in twin.get_legend().get_texts()]
    assert legend == ["training cost", "validation cost", "validation accuracy"]
    assert ax.get_legend() is None
    assert_png(ax, tmp_path / "cost.png", (160, 240, 4))  # its default 6 × 4 inches
    plt.close(ax.figure)


def test_cost_curve_from_a_history_object_and_linear_scale_at_zero():
    class FakeHistory:
        def to_dict(self):
            return {"cost": [0.5, 0.0], "val_cost": [], "epoch": []}

    fig, ax = plt.subplots()
    assert plot_cost_curve(FakeHistory(), ax=ax) is ax
    assert ax.get_yscale() == "linear"  # a zero cost cannot go on a log axis
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2])
    assert len(ax.get_lines()) == 1
    plt.close(fig)


def test_cost_curve_bad_history():
    with pytest.raises(ConfigError, match="cost"):
        plot_cost_curve({"loss": [1.0]})
    with pytest.raises(ShapeError, match="val_cost"):
        plot_cost_curve({"cost": [1.0, 0.5], "val_cost": [1.0]})
    assert plt.get_fignums() == []  # nothing opened before the error


def test_fit_1d_sorts_by_x_and_draws_each_output(tmp_path):
    x = np.array([3.0, 1.0, 2.0])
    y_true = np.array([[9.0, 1.0], [1.0, 2.0], [4.0, 3.0]])
    ax = plot_fit_1d(x[:, None], y_true, y_true + 0.1)
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_array_equal(lines[0].get_xdata(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(lines[0].get_ydata(), [1.0, 4.0, 9.0])
    np.testing.assert_allclose(lines[3].get_ydata(), [2.1, 3.1, 1.1])
    ax.figure.set_size_inches(5, 3)
    assert_png(ax.figure, tmp_path / "fit.png", (120, 200, 4))
    plt.close(ax.figure)
    with pytest.raises(ShapeError):
        plot_fit_1d(x, y_true, y_true[:2])


def test_curve_2d_has_equal_aspect(tmp_path):
    t = np.linspace(0, 2 * np.pi, 50)
    target = np.column_stack([16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t)])
    fig, ax = plt.subplots(figsize=(4, 4))
    assert plot_curve_2d(target, 0.9 * target, ax=ax) is ax
    assert ax.get_aspect() == 1.0
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), 0.9 * target[:, 0])
    assert_png(fig, tmp_path / "curve.png", (160, 160, 4))
    plt.close(fig)
    with pytest.raises(ShapeError):
        plot_curve_2d(target[:, :1], target)


def test_decision_regions_follow_the_network(tmp_path):
    # a single logistic output with a(x) = σ(10 x₀): class 1 right of x₀ = 0, class 0 left
    net = Network([2, 1], "logistic", cost="binary_cross_entropy", weights=[[[10.0, 0.0]]],
                  biases=[[0.0]])
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    fig, ax = plt.subplots(figsize=(3, 3), dpi=60)
    plot_decision_regions(net, X, np.array([[0], [1], [0], [1]]), ax=ax, resolution=50)
    left = [colour(fig, ax, -0.6, y) for y in (-0.5, 0.5)]
    right = [colour(fig, ax, 0.6, y) for y in (-0.5, 0.5)]
    np.testing.assert_allclose(left[0], left[1], atol=0.01)
    np.testing.assert_allclose(right[0], right[1], atol=0.01)
    assert np.abs(left[0] - right[0]).max() > 0.1
    # class 0 is shaded with the first colour (C0, blue: more blue than red), class 1 with C1
    assert left[0][2] > left[0][0] and right[0][0] > right[0][2]
    scatter = ax.collections[-1]
    np.testing.assert_array_equal(scatter.get_offsets(), X)
    assert mpimg.imread(save_figure(fig, tmp_path / "regions.png", dpi=60)).shape == (180, 180, 4)
    plt.close(fig)


def test_decision_regions_softmax_and_checks(rng):
    net = Network([2, 5, 3], "tanh", cost="cross_entropy", random_state=0)
    X = rng.normal(size=(30, 2))
    ax = plot_decision_regions(net, X, rng.integers(0, 3, 30), resolution=20)
    assert ax.get_xlabel() == "x₀"
    plt.close(ax.figure)
    with pytest.raises(ConfigError, match="2 inputs"):
        plot_decision_regions(Network([3, 2], random_state=0), X, np.zeros(30))
    with pytest.raises(ShapeError, match="labels"):
        plot_decision_regions(net, X, np.zeros(29))


def test_network_diagram_edges_by_sign_and_size(tmp_path):
    net = Network([2, 3, 1], "tanh", random_state=0)
    fig, ax = plt.subplots(figsize=(3, 2))
    assert plot_network(net, ax=ax) is ax
    edges = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(edges) == 1
    lc = edges[0]
    weights = np.concatenate([W.ravel() for W in net.W])  # the order edges are drawn
    assert len(lc.get_segments()) == weights.size == 2 * 3 + 3 * 1
    blue = matplotlib.colors.to_rgba("tab:blue", alpha=0.8)
    red = matplotlib.colors.to_rgba("tab:red", alpha=0.8)
    expected = [blue if w > 0 else red for w in weights]
    np.testing.assert_allclose(lc.get_colors(), expected)
    widths = np.asarray(lc.get_linewidths())
    assert widths[np.argmax(np.abs(weights))] == pytest.approx(3.0)
    assert np.all(np.diff(widths[np.argsort(np.abs(weights))]) >= 0)
    # one scatter of neurons per layer
    assert len(ax.collections) == 1 + len(net.layer_sizes)
    assert_png(ax, tmp_path / "network.png", (80, 120, 4))
    plt.close(fig)


def test_save_figure_is_atomic_and_of_the_requested_size(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [1, 0])
    target = tmp_path / "deep" / "folder" / "fig.png"
    out = save_figure(fig, target, dpi=50)
    assert out == target
    assert mpimg.imread(out).shape == (150, 200, 4)
    # writing again replaces the file; no temporary file stays behind
    save_figure(ax, target, dpi=20)
    assert mpimg.imread(out).shape == (60, 80, 4)
    assert sorted(p.name for p in target.parent.iterdir()) == ["fig.png"]
    plt.close(fig)


def test_save_figure_failure_leaves_the_old_file(tmp_path, monkeypatch):
    fig, _ = plt.subplots(figsize=(2, 2))
    target = tmp_path / "fig.png"
    save_figure(fig, target, dpi=10)
    before = target.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        save_figure(fig, target, dpi=10)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    with pytest.raises(ConfigError, match="path"):
        save_figure(fig, tmp_path / "fig.notaformat")
    with pytest.raises(ConfigError, match="fig_or_ax"):
        save_figure("figure", tmp_path / "x.png")
    plt.close(fig)


def test_importing_plotting_does_not_load_matplotlib():
    code = "import sys, chainrule.viz.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cost_curve_leaves_out_all_nan_validation_series():
    import math

    ax = plot_cost_curve({"cost": [1.0, 0.5], "val_cost": [math.nan, math.nan],
                          "val_accuracy": [math.nan, math.nan]})
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["training cost"]
    plt.close(ax.figure)


def test_decision_regions_name_the_classes_in_a_legend(rng):
    net = Network([2, 5, 3], "tanh", cost="cross_entropy", random_state=0)
    X = rng.normal(size=(30, 2))
    ax = plot_decision_regions(net, X, rng.integers(0, 3, 30), resolution=20,
                               class_names=["cat", "dog", "eel"])
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["cat", "dog", "eel"]
    assert legend.get_title().get_text() == "class"
    plt.close(ax.figure)
    with pytest.raises(ShapeError, match="class_names: expected 3 names"):
        plot_decision_regions(net, X, np.zeros(30), class_names=["a", "b"])
    assert plt.get_fignums() == []  # refused before a figure was made


def legend_covers(legend, line) -> bool:
    """Whether any drawn point of ``line`` lies inside ``legend``'s box (display units)."""
    box = legend.get_window_extent()
    pts = line.get_transform().transform(np.column_stack([line.get_xdata(),
                                                          line.get_ydata()]))
    inside = ((box.x0 <= pts[:, 0]) & (pts[:, 0] <= box.x1)
              & (box.y0 <= pts[:, 1]) & (pts[:, 1] <= box.y1))
    return bool(inside.any())


def test_cost_curve_legend_avoids_the_accuracy_line_and_the_cost_lines():
    # The cost falls from the top left to the bottom right: the cost axis alone leaves the
    # upper right free, where the accuracy line (near 1) runs.
    n = 60
    epochs = np.arange(1, n + 1)
    history = {"epoch": epochs.tolist(), "cost": np.geomspace(1.0, 1e-3, n).tolist(),
               "val_accuracy": np.full(n, 0.97).tolist()}
    ax = plot_cost_curve(history)
    ax.figure.canvas.draw()
    twin = ax.figure.axes[1]
    legend = twin.get_legend()
    accuracy = twin.get_lines()[0]
    assert accuracy.get_label() == "validation accuracy"
    assert not legend_covers(legend, accuracy)
    assert not legend_covers(legend, ax.get_lines()[0])
    assert twin.get_ylim() == (0, 1.02)  # the hidden copies did not change the limits
    plt.close(ax.figure)


def test_names_with_dollars_are_drawn_as_text_not_mathtext(tmp_path, rng):
    assert literal_text(r"$\foo$") == r"\$\foo\$"
    assert literal_text("plain") == "plain"
    t = np.linspace(0, 1, 20)
    target = np.column_stack([t, t ** 2])
    ax = plot_curve_2d(target, target, names=[r"$\foo$", "cost ($)"])
    assert ax.get_xlabel() == r"\$\foo\$"
    save_figure(ax, tmp_path / "curve.png", dpi=40)  # mathtext would fail to parse \foo
    plt.close(ax.figure)
    with pytest.raises(ShapeError, match="names"):
        plot_curve_2d(target, target, names=["one"])
    net = Network([2, 2], "tanh", "softmax", "cross_entropy", random_state=0)
    X = rng.normal(size=(30, 2))
    ax = plot_decision_regions(net, X, (X[:, 0] > 0).astype(int), resolution=10,
                               class_names=[r"$\alpha$", r"$\bar$"])
    save_figure(ax, tmp_path / "regions.png", dpi=40)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [r"\$\alpha\$",
                                                                   r"\$\bar\$"]
    plt.close(ax.figure)
