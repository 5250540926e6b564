"""Learning works on the built-in data sets (the training issue's acceptance numbers)."""

from __future__ import annotations

import numpy as np

from chainrule import Network
from chainrule.data import load_dataset, split
from chainrule.train.loop import evaluate, fit


def test_heart_curve_reaches_cost_below_0_002():
    d = load_dataset("heart")
    net = Network([1, 6, 7, 2], "logistic", random_state=0)  # the course's network
    h = fit(net, d.X, d.y, optimizer="adam", learning_rate=0.01, epochs=20_000, batch_size=None)
    assert h.cost[-1] < 0.002, h.cost[-1]


def test_not_and_xor_reach_cost_below_0_01():
    for name, sizes, lr in (("not", [1, 1], 0.5), ("xor", [2, 4, 1], 0.5)):
        d = load_dataset(name)
        net = Network(sizes, "tanh", random_state=0)
        h = fit(net, d.X, d.y, optimizer="gd", learning_rate=lr, epochs=3000, batch_size=None)
        assert h.cost[-1] < 0.01, (name, h.cost[-1])


def test_spiral_reaches_095_training_accuracy():
    d = load_dataset("spiral")
    net = Network([2, 16, 16, 2], "tanh", cost="cross_entropy", random_state=0)
    h = fit(net, d.X, d.y, epochs=500, batch_size=32, learning_rate=0.01, random_state=0)
    assert h.accuracy[-1] >= 0.95
    _, acc = evaluate(net, d.X, d.y)
    assert acc >= 0.95


def test_digits_reaches_095_test_accuracy():
    d = load_dataset("digits")
    train, test = split(d.X, d.y, 0.25, random_state=0)
    net = Network([64, 100, 10], "relu", cost="cross_entropy", random_state=0)
    fit(net, d.X[train], d.y[train], epochs=60, batch_size=200, learning_rate=1e-3,
        random_state=0)
    _, acc = evaluate(net, d.X[test], d.y[test])
    assert acc >= 0.95, acc
    assert np.isfinite(net.params).all()
