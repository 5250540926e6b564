"""The built-in data sets, generated offline from a seed: the same call gives the same arrays.

=============  ==============  ==================================================
name           task            what it is
=============  ==============  ==================================================
``not_gate``   regression      the exercise's NOT function, 2 examples
``xor``        regression      the four rows of XOR
``heart``      regression      t ↦ (x(t), y(t)) on the heart curve, scaled to [0, 1]
``circle``     classification  a disc inside a ring (2-D)
``xor_blobs``  classification  opposite quadrants share a class (2-D)
``gaussians``  classification  two Gaussian blobs (2-D)
``spiral``     classification  interleaved spiral arms (2-D)
``wave``       regression      a noisy sine to fit, ``y = sin(πx)`` (1-D)
``saddle``     regression      a noisy saddle to fit, ``y = 2 x1 x2`` (2-D)
``digits``     classification  scikit-learn's bundled 8×8 digits, 10 classes
=============  ==============  ==================================================

A classification set stores one-hot rows in ``y`` and the integer class of each
row in ``labels``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .checks import as_rng, check_int, check_nonnegative, class_sizes
from .dataset import Dataset
from .encoding import one_hot

__all__ = ["circle", "digits", "gaussians", "heart", "not_gate", "saddle", "spiral", "wave", "xor",
           "xor_blobs"]

Array = np.ndarray


def _classification(name: str, description: str, X: Array, labels: Array,
                    target_names: Sequence[str], rng: np.random.Generator,
                    feature_names: Sequence[str] = ("x1", "x2")) -> Dataset:
    """Shuffle the rows (generation groups them by class) and build the one-hot set."""
    order = rng.permutation(X.shape[0])
    X, labels = X[order], labels[order].astype(np.int64)
    Y, _ = one_hot(labels, classes=np.arange(len(target_names)))
    return Dataset(name, X, Y, "classification", description, tuple(feature_names),
                   tuple(target_names), labels)



# ---------------------------------------------------------------------------
# Tiny regression sets from the exercise
# ---------------------------------------------------------------------------

def not_gate() -> Dataset:
    """The exercise's NOT function: ``x = 0 ↦ y = 1`` and ``x = 1 ↦ y = 0``.

    Returns
    -------
    Dataset
        ``X = [[0], [1]]``, ``y = [[1], [0]]`` (regression, 2 examples).
    """
    X = np.array([[0.0], [1.0]])
    y = 1.0 - X  # NOT x = 1 - x on {0, 1}
    return Dataset("not_gate", X, y, "regression", "the exercise's NOT function: 0 -> 1, 1 -> 0",
                   ("x",), ("not_x",))


def xor() -> Dataset:
    """The four rows of XOR: ``y = x1 ⊕ x2`` as a regression target in {0, 1}.

    Returns
    -------
    Dataset
        ``X`` of shape (4, 2), ``y`` of shape (4, 1).
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = (X[:, :1] != X[:, 1:]).astype(np.float64)  # (4, 1)
    return Dataset("xor", X, y, "regression", "the four rows of XOR, targets in {0, 1}",
                   ("x1", "x2"), ("x1_xor_x2",))


# ---------------------------------------------------------------------------
# The heart curve
# ---------------------------------------------------------------------------

def _heart_raw(t: Array) -> Array:
    """The unscaled heart curve, ``(N,) -> (N, 2)``.

    ``x = 16 sin³(2πt)``,
    ``y = 13 cos 2πt − 5 cos 4πt − 2 cos 6πt − cos 8πt``.
    """
    theta = 2.0 * np.pi * t
    x = 16.0 * np.sin(theta) ** 3
    y = (13.0 * np.cos(theta) - 5.0 * np.cos(2.0 * theta)
         - 2.0 * np.cos(3.0 * theta) - np.cos(4.0 * theta))
    return np.stack([x, y], axis=1)


def _heart_y_range() -> tuple[float, float]:
    """Exact minimum and maximum of the heart's ``y(t)``.

    With ``c = cos 2πt`` the multiple-angle formulas turn ``y`` into the quartic
    ``y = −8c⁴ − 8c³ − 2c² + 19c + 4`` on ``c ∈ [−1, 1]``, whose extremes are at
    the ends or where ``dy/dc = −32c³ − 24c² − 4c + 19 = 0``.
    """
    quartic = np.polynomial.Polynomial([4.0, 19.0, -2.0, -8.0, -8.0])
    roots = quartic.deriv().roots()
    real = roots[np.abs(roots.imag) < 1e-12].real
    candidates = np.concatenate([[-1.0, 1.0], real[(real >= -1.0) & (real <= 1.0)]])
    values = quartic(candidates)
    return float(values.min()), float(values.max())


# x = 16 sin³ reaches ±16 exactly (at t = 1/4 and 3/4); y spans [−17, 11.923…].
_Y_MIN, _Y_MAX = _heart_y_range()
_HEART_LOW = np.array([-16.0, _Y_MIN])
_HEART_HIGH = np.array([16.0, _Y_MAX])


def heart(n: int = 100) -> Dataset:
    """The course's heart curve: one input ``t``, two outputs scaled to [0, 1].

    ``t`` takes ``n`` evenly spaced values in [0, 1] (both ends included) and

        x(t) = 16 sin³(2πt)
        y(t) = 13 cos 2πt − 5 cos 4πt − 2 cos 6πt − cos 8πt

    Each output is min–max scaled over the whole curve (not over the sample):
    ``(v − min) / (max − min)`` with ``x ∈ [−16, 16]`` and ``y ∈ [−17, 11.92…]``,
    so the targets suit a logistic output layer.

    Parameters
    ----------
    n : int, default 100
        Number of examples, at least 2.

    Returns
    -------
    Dataset
        ``X`` of shape (n, 1), ``y`` of shape (n, 2).
    """
    n = check_int(n, "n", 2)
    t = np.linspace(0.0, 1.0, n)
    Y = (_heart_raw(t) - _HEART_LOW) / (_HEART_HIGH - _HEART_LOW)  # (n, 2)
    # Rounding can put a point a hair outside [0, 1]; a logistic output cannot reach it.
    np.clip(Y, 0.0, 1.0, out=Y)
    return Dataset("heart", t[:, None], Y, "regression",
                   "heart curve t -> (x, y), outputs scaled to [0, 1]", ("t",), ("x", "y"))


# ---------------------------------------------------------------------------
# TensorFlow-Playground-style 2-D classification sets
# ---------------------------------------------------------------------------
# Every set lives in about [-1, 1]²; ``noise`` is the standard deviation of a
# Gaussian jitter added to both coordinates after the class is chosen, so a
# large noise makes the classes overlap.

def _jitter(X: Array, noise: float, rng: np.random.Generator) -> Array:
    """``X + noise · N(0, 1)`` (always draws, so the stream does not depend on noise = 0)."""
    return X + noise * rng.standard_normal(X.shape)


def _polar(r: Array, angle: Array) -> Array:
    """Points ``(r cos φ, r sin φ)``, shape (N, 2)."""
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def circle(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """A disc (class 0, radius ≤ 0.5) inside a ring (class 1, radius 0.7 to 1).

    Points are uniform over each region's area (``r = √u`` for uniform ``u``).

    Parameters
    ----------
    n_samples : int, default 200
        Total number of points, split evenly between the two classes.
    noise : float, default 0.05
        Standard deviation of the Gaussian jitter added to each coordinate.
    random_state : None, int or numpy Generator, default 0
        Seed for ``numpy.random.default_rng``.
    """
    n_samples = check_int(n_samples, "n_samples", 2)
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(random_state)
    n_in, n_out = class_sizes(n_samples, 2)
    r_in = 0.5 * np.sqrt(rng.uniform(0.0, 1.0, n_in))
    r_out = np.sqrt(rng.uniform(0.7 ** 2, 1.0, n_out))
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    X = _jitter(_polar(np.concatenate([r_in, r_out]), angle), noise, rng)
    labels = np.repeat([0, 1], [n_in, n_out])
    return _classification("circle", "a disc inside a ring, 2 classes (2-D)", X, labels,
                           ("inner", "outer"), rng)


def xor_blobs(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """Four quadrants; the class is ``(x1 > 0) XOR (x2 > 0)``.

    Points are uniform in ``0.05 ≤ |x1|, |x2| ≤ 1`` (the margin keeps the axes
    clear when ``noise = 0``); class 0 fills quadrants I and III, class 1
    quadrants II and IV, each quadrant of a class chosen by a coin flip.

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`circle`.
    """
    n_samples = check_int(n_samples, "n_samples", 2)
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(random_state)
    labels = np.repeat([0, 1], class_sizes(n_samples, 2))
    magnitude = rng.uniform(0.05, 1.0, (n_samples, 2))
    sign1 = rng.choice([-1.0, 1.0], n_samples)
    # Class 0: same signs; class 1: opposite signs.
    sign2 = np.where(labels == 0, sign1, -sign1)
    X = _jitter(magnitude * np.stack([sign1, sign2], axis=1), noise, rng)
    return _classification("xor_blobs", "XOR of quadrants, 2 classes (2-D)", X, labels,
                           ("same_sign", "opposite_sign"), rng)


def gaussians(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """Two round Gaussian blobs of standard deviation 0.2 at (−0.5, −0.5) and (0.5, 0.5).

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`circle`; ``noise`` widens the blobs to a standard deviation
        of ``√(0.2² + noise²)``.
    """
    n_samples = check_int(n_samples, "n_samples", 2)
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(random_state)
    labels = np.repeat([0, 1], class_sizes(n_samples, 2))
    centres = np.array([[-0.5, -0.5], [0.5, 0.5]])
    X = _jitter(centres[labels] + 0.2 * rng.standard_normal((n_samples, 2)), noise, rng)
    return _classification("gaussians", "two Gaussian blobs, 2 classes (2-D)", X, labels,
                           ("blob_0", "blob_1"), rng)


def spiral(n_samples: int = 200, noise: float = 0.05, random_state: object = 0, *,
           n_classes: int = 2, turns: float = 1.75) -> Dataset:
    """Interleaved spiral arms, one class per arm.

    Arm ``k`` of ``K`` is the curve ``r ↦ r (cos φ, sin φ)`` with
    ``φ = 2π (turns · r + k / K)`` for ``r`` drawn uniformly in [0, 1], so the
    arms wind around each other and no straight line separates them.

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`circle`; the points are split evenly between the arms.
    n_classes : int, default 2
        Number of arms (classes), at least 2.
    turns : float, default 1.75
        How many times each arm winds around the centre.
    """
    n_classes = check_int(n_classes, "n_classes", 2)
    n_samples = check_int(n_samples, "n_samples", n_classes)
    noise = check_nonnegative(noise, "noise")
    turns = check_nonnegative(turns, "turns")
    rng = as_rng(random_state)
    labels = np.repeat(np.arange(n_classes), class_sizes(n_samples, n_classes))
    r = rng.uniform(0.0, 1.0, n_samples)
    angle = 2.0 * np.pi * (turns * r + labels / n_classes)
    X = _jitter(_polar(r, angle), noise, rng)
    return _classification("spiral", f"{n_classes} interleaved spiral arms, one class each (2-D)",
                           X, labels, tuple(f"arm_{k}" for k in range(n_classes)), rng)



# ---------------------------------------------------------------------------
# Regression sets to fit: a smooth function sampled with noisy targets
# ---------------------------------------------------------------------------
# The inputs are uniform over [-1, 1] (or its square); ``noise`` is the standard
# deviation of a Gaussian ε added to the target, so the best fit leaves a mean
# squared error of about noise².

def _to_fit(name: str, description: str, f: Callable[[Array], Array],
            feature_names: tuple[str, ...], n_samples: int, noise: float,
            random_state: object) -> Dataset:
    """``y = f(X) + noise · ε`` for ``X`` uniform over [−1, 1]^n_in, checked options."""
    n_samples = check_int(n_samples, "n_samples", 2)
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(random_state)
    X = rng.uniform(-1.0, 1.0, (n_samples, len(feature_names)))
    y = _jitter(f(X), noise, rng)  # (n_samples, 1)
    return Dataset(name, X, y, "regression", description, feature_names, ("y",))


def wave(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """A curve to fit: ``y = sin(πx) + noise · ε`` for ``x`` uniform in [−1, 1].

    One period of the sine: a network needs a hidden layer to bend its output
    twice.

    Parameters
    ----------
    n_samples : int, default 200
        Number of points, at least 2.
    noise : float, default 0.05
        Standard deviation of the Gaussian noise ε added to ``y``.
    random_state : None, int or numpy Generator, default 0
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, 1), ``y`` of shape (n_samples, 1).
    """
    return _to_fit("wave", "a sine to fit: y = sin(pi x) + noise, x in [-1, 1] (1-D)",
                   lambda X: np.sin(np.pi * X), ("x",), n_samples, noise, random_state)


def saddle(n_samples: int = 200, noise: float = 0.05, random_state: object = 0) -> Dataset:
    """A surface to fit: ``y = 2 x1 x2 + noise · ε`` over [−1, 1]².

    XOR's smooth cousin: ``y`` is positive where the signs agree and negative
    where they differ, so no plane fits it.

    Parameters
    ----------
    n_samples, noise, random_state
        As in :func:`wave`.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, 2), ``y`` of shape (n_samples, 1).
    """
    return _to_fit("saddle", "a saddle to fit: y = 2 x1 x2 + noise over [-1, 1]^2 (2-D)",
                   lambda X: 2.0 * X[:, :1] * X[:, 1:], ("x1", "x2"), n_samples, noise,
                   random_state)


# ---------------------------------------------------------------------------
# Bundled digits
# ---------------------------------------------------------------------------

DIGITS_DESCRIPTION = ("8x8 handwritten digits from scikit-learn, pixels scaled to [0, 1], "
                      "10 classes")
# (examples, features, outputs) of digits, known without reading scikit-learn's file
DIGITS_SHAPE = (1797, 64, 10)


def digits() -> Dataset:
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, no download).

    ``X`` holds the 64 pixel intensities divided by 16, so ``X ∈ [0, 1]``; the
    ten classes are the digits 0–9.
    """
    from sklearn.datasets import load_digits  # lazily: the rest of the module needs only NumPy

    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64) / 16.0  # (1797, 64), pixel values 0..16
    labels = np.asarray(bunch.target, dtype=np.int64)
    Y, _ = one_hot(labels, classes=np.arange(10))
    return Dataset("digits", X, Y, "classification", DIGITS_DESCRIPTION,
                   tuple(f"pixel_{i}_{j}" for i in range(8) for j in range(8)),
                   tuple(str(d) for d in range(10)), labels)

