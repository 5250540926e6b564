# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tutorial: the exercise, the heart, and your own data
#
# This notebook works through the course's back-propagation exercise with chainrule, one
# question at a time (each question is stated in full on the page
# [The exercise](guide/exercise.md)), then does the course's follow-up assignment (a 1-6-7-2
# logistic network that draws a heart), and ends by training a model on a CSV file of your
# own.  Every number comes from the library; nothing is worked out by hand.
#
# Open it in Jupyter with jupytext (`pip install jupytext`, then open `docs/tutorial.py` as a
# notebook), or run `make notebook` to get `tutorial.ipynb`.  It also runs as a plain script.

# %%
import numpy as np
import pandas as pd

import chainrule
from chainrule import Model, Network, check_gradient, fit
from chainrule.data import load_dataset
from chainrule.nn import cost_surface, descent_path, explain, not_toy
from chainrule.tour import derivative_options, jacobian_options
from chainrule.viz import (
    CostCurveDisplay,
    DecisionRegionsDisplay,
    LandscapeDisplay,
    NetworkDisplay,
    plot_curve_2d,
)

chainrule.__version__

# %% [markdown]
# ## Question 1: the cost of one training example
#
# The exercise starts from one tanh neuron that should compute NOT: input x = 1 should give
# 0, and x = 0 should give 1.  With weight w(1) = 1.3 and bias b(1) = −0.1 its output is
# a(1) = tanh(w(1) a(0) + b(1)), and the cost of one example is C_k = (a(1) − y)².

# %%
net = Network([1, 1], "tanh", weights=[[[1.3]]], biases=[[-0.1]])
net

# %%
a1 = float(net.predict([[1.0]])[0, 0])
C1 = net.compute_cost([[1.0]], [[0.0]])
print(f"a(1) for x = 1: {a1:.5f} ≈ {a1:.3f}")
print(f"C_1 = ({a1:.3f} − 0)² = {round(a1, 3) ** 2:.3f}   (unrounded: {C1:.5f})")

# %% [markdown]
# The exercise rounds a(1) to 0.834 before squaring, which gives its 0.696; the exact
# value is tanh²(1.2) = 0.69498.  The question asks for C_0, the cost of x = 0, y = 1:

# %%
C0 = net.compute_cost([[0.0]], [[1.0]])
print(f"C_0 = ({float(net.predict([[0.0]])[0, 0]):.3f} − 1)² = {C0:.4f} ≈ {C0:.1f}")

# %% [markdown]
# ## Question 2: the cost of the training set, over the weight and the bias
#
# The cost of a training set is the mean of its examples' costs,
# C = ½(C_0 + C_1) for the two NOT examples.  `not_toy()` gives this neuron with its two
# examples; `cost_surface` evaluates C over a grid of (w, b) in one batched pass, and
# `descent_path` follows gradient descent from the neuron's weights.  `LandscapeDisplay`
# draws them, in the style of scikit-learn's plot objects.

# %%
net, X, Y = not_toy()
C = net.compute_cost(X, Y)
grid = np.linspace(-4, 4, 401)
land = cost_surface(net, X, Y, "W1[0,0]", "b1[0]", grid, grid)
path = descent_path(net, X, Y, learning_rate=1.0, n_steps=100)
print(f"C = ½(C_0 + C_1) = {C:.4f}")
landscape = LandscapeDisplay(land, path=path).plot()

# %% [markdown]
# White is low cost, black is high, as in the exercise's map.  The exercise lists five
# statements about it; the map's numbers decide each one.

# %%
rows = land.ys > 0
cheapest_w = land.xs[np.argmin(land.C[rows], axis=1)]
valley_off = float(np.max(np.abs(cheapest_w + land.ys[rows])))
inner = land.C[1:-1, 1:-1]
neighbours = [land.C[1 + dj:land.C.shape[0] - 1 + dj, 1 + di:land.C.shape[1] - 1 + di]
              for dj in (-1, 0, 1) for di in (-1, 0, 1) if dj or di]
local_minima = int(np.all([inner < n for n in neighbours], axis=0).sum())
on_b0 = float(land.C[np.argmin(np.abs(land.ys))].min())
downhill = bool(np.all(np.diff(path.costs) <= 0))
pd.DataFrame({
    "statement": ["1. None of the other statements are true.",
                  "2. There are many different local minima.",
                  "3. The optimum lies along the line b = 0.",
                  "4. The optimum lies somewhere along the line b = −w.",
                  "5. Descending across the contours improves the network."],
    "the map says": [
        "wrong: 4 and 5 hold",
        f"wrong: {local_minima} local minima inside the grid",
        f"wrong: the cheapest point on b = 0 costs {on_b0:.3f}, the valley {land.argmin()[2]:.1e}",
        f"true: on every row b > 0 the cheapest w is −b (to {valley_off:.3f})",
        f"true: C = {path.costs[0]:.3f} → {path.costs[-1]:.4f}, every step downhill: {downhill}",
    ],
})

# %% [markdown]
# ## Question 3: the factors of the chain rule
#
# ∂C_k/∂w(1) = ∂C_k/∂a(1) · ∂a(1)/∂z(1) · ∂z(1)/∂w(1), and likewise for b(1) with
# ∂z(1)/∂b(1) at the end.  `Network.chain_rule` gives each factor with its formula and
# value for one example; its product equals back-propagation.

# %%
chain = net.chain_rule(X[1], Y[1], "W1[0,0]")
chain

# %% [markdown]
# The exercise offers nine statements.  Each one that claims a derivative ∂u/∂v is tried as
# the function v ↦ u and compared with central differences by `check_gradient`; the two
# examples' values are shown side by side.  (`chainrule tour` prints the same table.)

# %%
options = derivative_options(1.3, -0.1, X[:, 0], Y[:, 0])
pd.DataFrame([(o.label, o.statement, "true" if o.correct else "wrong", o.evidence)
              for o in options], columns=["#", "statement", "course", "chainrule's numbers"])

# %% [markdown]
# ## Question 4: `dCdb` in code
#
# The exercise's code starts from w(1) = 2.3 and b(1) = −1.2 and asks for ∂C_k/∂b(1).  It
# does not say which example to test on; we take the NOT neuron's x = 0, y = 1.

# %%
def dCdb(w1, b1, x, y):
    z = w1 * x + b1
    dCda = 2 * (np.tanh(z) - y)  # ∂C_k/∂a(1)
    dadz = 1 / np.cosh(z) ** 2   # ∂a(1)/∂z(1) = tanh'(z)
    dzdb = 1                     # ∂z(1)/∂b(1)
    return dCda * dadz * dzdb


w1, b1, x, y = 2.3, -1.2, 0.0, 1.0
_, db = Network([1, 1], "tanh", weights=[[[w1]]], biases=[[b1]]).backprop([[x]], [[y]])
print(f"dCdb = {dCdb(w1, b1, x, y):.10f}, back-propagation: {db[0][0]:.10f}")

# %% [markdown]
# The exercise's own listing writes the first factor as `dCda = 2 * (a1(w1, b1, x) - y)**2`:
# one square too many.  That line is the right factor times (a − y), so here it has the
# wrong sign and 1.83 times the size, and `check_gradient` flags it:

# %%
a = np.tanh(w1 * x + b1)
printed = 2 * (a - y) ** 2 / np.cosh(w1 * x + b1) ** 2
cost_of_b = lambda theta: float((np.tanh(w1 * x + theta[0]) - y) ** 2)  # noqa: E731
check_gradient(cost_of_b, np.array([printed]), np.array([b1]))

# %% [markdown]
# ## Question 5: a layer of two neurons on three inputs
#
# With more neurons, a(1) = σ(W(1) a(0) + b(1)) with a 2×3 matrix W(1), and the cost of an
# example sums over the outputs: C_k = |a(1) − y|².

# %%
W = np.array([[-0.94529712, -0.2667356, -0.91219181],
              [2.05529992, 1.21797092, 0.22914497]])
b = np.array([0.61273249, 1.6422662])
layer = Network([3, 2], "tanh", weights=[W], biases=[b])
x5, y5 = np.array([0.7, 0.6, 0.2]), np.array([0.9, 0.6])
C_q5 = layer.compute_cost(x5, y5)
print(f"a(1) = {layer.predict(x5)}, C_k = {C_q5:.4f} ≈ {C_q5:.1f}")

# %% [markdown]
# ## Question 6: back-propagation through hidden layers
#
# For a weight of the first layer the chain runs through every layer above it, one
# Jacobian ∂a(j)/∂a(j−1) = σ'(z(j)) W(j) per layer.  The exercise gives no network here; we
# take a 3-3-3-2 tanh network with random weights.  `explain` shows the chain-rule ledger:
# each factor, their product, back-propagation and a finite difference side by side.

# %%
deep = Network([3, 3, 3, 2], "tanh", random_state=0)
ledger = explain(deep, x5, y5, "W1[0,2]")
ledger

# %% [markdown]
# Each of the exercise's four candidates for ∂a(j)/∂a(j−1) is put into the chain at j = 2,
# all of ∂C_k/∂W(1) is built with it, and `check_gradient` compares it with finite
# differences (a vector where a matrix belongs is taken as a diagonal matrix):

# %%
chain6 = deep.chain_rule(x5, y5, "W1[0,2]")
pd.DataFrame([(o.label, o.statement, "true" if o.correct else "wrong", o.evidence)
              for o in jacobian_options(deep, chain6, x5, y5)],
             columns=["#", "statement", "course", "chainrule's numbers"])

# %% [markdown]
# ## The follow-up: a 1-6-7-2 network draws a heart
#
# The course's assignment trains a network with one input t, hidden layers of 6 and 7
# logistic neurons, and two outputs (x(t), y(t)) on 100 points of a heart-shaped curve.
# Full-batch Adam with η = 0.01 for 30,000 epochs takes about two seconds.

# %%
heart = load_dataset("heart")
heart_net = Network([1, 6, 7, 2], "logistic", random_state=0)
history = fit(heart_net, heart.X, heart.y, optimizer="adam", learning_rate=0.01,
              epochs=30_000, batch_size=None)
heart_cost = float(history.cost[-1])
print(f"C = {history.cost[0]:.4f} → {heart_cost:.6f}")
ax = plot_curve_2d(heart.y, heart_net.predict(heart.X))

# %%
curve = CostCurveDisplay.from_history(history, log=True)

# %% [markdown]
# ## Your own data
#
# Any CSV file with a header row will do: numeric input columns and a target column, whose
# values may be text.  Here we make one (two interleaved half-moons, labelled `cat` and
# `dog`) and write it next to the notebook; put your own file's name in its place.

# %%
rng = np.random.default_rng(0)
t = rng.uniform(0, np.pi, 300)
moon = rng.integers(0, 2, 300)
frame = pd.DataFrame({
    "length": np.where(moon == 0, np.cos(t), 1 - np.cos(t)) + rng.normal(0, 0.2, 300),
    "height": np.where(moon == 0, np.sin(t), 0.5 - np.sin(t)) + rng.normal(0, 0.2, 300),
    "animal": np.where(moon == 0, "cat", "dog"),
})
frame.to_csv("my_data.csv", index=False)
frame.head()

# %% [markdown]
# A `Model` is a network together with the scaling of its inputs and the names of its
# classes: `fit` learns both from the data, and `predict` gives labels back.

# %%
data = pd.read_csv("my_data.csv")
inputs = data[["length", "height"]]
model = Model(Network([2, 16, 16, 2], "tanh", cost="cross_entropy", random_state=0))
model.fit(inputs, data["animal"], optimizer="adam", learning_rate=0.01, epochs=300,
          batch_size=32, random_state=0)
evaluation = model.evaluate(inputs, data["animal"])
print(f"cost {evaluation.cost:.4f}, accuracy {evaluation.accuracy:.3f}")
model.predict(inputs.head()).tolist()

# %% [markdown]
# The plot objects take the model and its text labels as they are: the decision regions,
# shaded by how sure the model is, and the network's drawing.

# %%
regions = DecisionRegionsDisplay.from_model(model, inputs, data["animal"])

# %%
drawing = NetworkDisplay.from_model(model)

# %% [markdown]
# The model saves to one file that `chainrule predict` and `chainrule.load_model` read
# (see [Model files](guide/model-files.md)):

# %%
model.save("my_model.safetensors")
again = chainrule.load_model("my_model.safetensors")
bool(np.array_equal(again.predict(inputs), model.predict(inputs)))

# %% tags=["remove-cell"]
# The numbers the test suite checks (tests/test_notebook.py); hidden from the site.
import json  # noqa: E402

print(json.dumps({"a1": a1, "C1": C1, "C0": C0, "C": C, "C_q5": C_q5,
                  "local_minima": local_minima, "valley_off": valley_off,
                  "dCdb": float(dCdb(w1, b1, x, y)), "dCdb_printed": float(printed),
                  "options_q3": [o.found for o in options],
                  "heart_cost": heart_cost, "accuracy": evaluation.accuracy}))
