"""Optimisers: turn a gradient ``g = ∂C/∂θ`` into an update of the parameters ``θ``.

Optimisers know nothing about layers.  Each one updates a flat parameter
vector (a network's :attr:`~chainrule.Network.params`) in place from a flat
gradient vector of the same layout::

    opt = Adam(learning_rate=1e-3)
    for X_batch, Y_batch in batches:
        C, g = net.cost_and_gradient(X_batch, Y_batch)
        opt.step(net.params, g)             # θ updated in place

The update rules follow scikit-learn's ``_stochastic_optimizers`` so that the
two libraries take the same steps:

* gradient descent (the seed's step): ``θ ← θ − η g``;
* momentum: ``v ← μ v − η g``, ``θ ← θ + v`` (Nesterov: ``θ ← θ + μ v − η g``
  with the new ``v``);
* Adam: ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``,
  ``η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)``, ``θ ← θ − η_t m / (√v + ε)``.

A step allocates nothing large: the moments and one scratch buffer (same shape
and dtype as ``θ``) are created on the first step and reused, every pass is an
in-place ufunc with ``out=``, and scalars are cast to ``θ``'s dtype so float32
parameters are never promoted to float64.

Learning-rate schedules (:class:`LRSchedule`) change ``optimizer.learning_rate``
after each step (:meth:`LRSchedule.on_step`) or at the end of each epoch
(calling the schedule).  :func:`minimize_lbfgs` runs SciPy's L-BFGS-B on the
same flat vector, as scikit-learn's ``solver='lbfgs'`` does.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, ModelFileError, ShapeError

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Adam",
    "ConstantLR",
    "GradientDescent",
    "InverseScalingLR",
    "LRSchedule",
    "Optimizer",
    "ReduceLROnPlateau",
    "get_optimizer",
    "get_schedule",
    "l2_penalty_grad",
    "minimize_lbfgs",
]

Array = np.ndarray
State = dict[str, np.ndarray | float | int]


# ---------------------------------------------------------------------------
# argument checks (every message names the argument)


def _check_real(value: object, name: str, *, low: float, high: float = math.inf,
                low_closed: bool = False, high_closed: bool = False) -> float:
    """Return ``value`` as a float inside the interval, or raise :class:`ConfigError`."""
    lo = "[" if low_closed else "("
    hi = "]" if high_closed else ")"
    expected = f"a number in {lo}{low:g}, {high:g}{hi}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    x = float(value)
    above = x >= low if low_closed else x > low
    below = x <= high if high_closed else x < high
    # NaN fails both comparisons, so it is refused here too
    if not (above and below) or math.isnan(x):
        raise ConfigError(f"{name}: expected {expected}, got {value!r}")
    return x


def _check_positive(value: object, name: str) -> float:
    """A finite number > 0 (learning rates, ε)."""
    x = _check_real(value, name, low=0.0)
    if not math.isfinite(x):
        raise ConfigError(f"{name}: expected a finite number > 0, got {value!r}")
    return x


def _check_fraction(value: object, name: str) -> float:
    """A number in [0, 1) (momentum, β₁, β₂)."""
    return _check_real(value, name, low=0.0, high=1.0, low_closed=True)


def _check_int(value: object, name: str, *, low: int) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral) or value < low:
        raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _check_kwargs(cls: type, kwargs: dict[str, Any], what: str) -> None:
    """Refuse keyword arguments that ``cls.__init__`` does not take, naming them."""
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    for key in kwargs:
        if key not in accepted:
            raise ConfigError(
                f"{key}: not an option of {what} {cls.__name__}; "
                f"expected one of {', '.join(accepted) or '(none)'}"
            )


# ---------------------------------------------------------------------------
# optimisers


class Optimizer:
    """Base class: an update rule ``θ ← θ + Δθ(g, state)`` applied in place.

    Subclasses list their per-parameter state arrays in ``state_buffers`` and their
    hyperparameters in ``hyperparameters``, and implement :meth:`_update`.

    Parameters
    ----------
    learning_rate : float
        The step size ``η`` (> 0).

    Attributes
    ----------
    learning_rate : float
        Current ``η``; schedules change it between steps or epochs.
    initial_learning_rate : float
        ``η`` as constructed; :meth:`reset` restores it.
    t : int
        Number of steps taken so far.
    """

    name = "optimizer"
    state_buffers: tuple[str, ...] = ()
    hyperparameters: tuple[str, ...] = ()

    def __init__(self, learning_rate: float = 0.1):
        self.learning_rate = _check_positive(learning_rate, "learning_rate")
        self.initial_learning_rate = self.learning_rate
        self.t = 0
        self._state: dict[str, Array] = {}
        self._scratch: Array | None = None

    def __repr__(self) -> str:
        keys = ("learning_rate", *self.hyperparameters)
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in keys)
        return f"{type(self).__name__}({args})"

    def step(self, params: Array, grads: Array) -> None:
        """Update ``params`` in place from ``grads`` (same shape) and count the step.

        Parameters
        ----------
        params : ndarray
            ``θ``, a writable float array (a network's flat ``params``).  Its
            dtype is kept: float32 parameters get float32 state and updates.
        grads : ndarray
            ``g = ∂C/∂θ``, same shape as ``params``; it is only read.
        """
        if grads.shape != params.shape:
            raise ShapeError(
                f"grads: expected shape {params.shape} (the shape of params), got {grads.shape}"
            )
        scratch = self._scratch
        if scratch is None or scratch.shape != params.shape or scratch.dtype != params.dtype:
            scratch = self._prepare(params)
        self.t += 1
        self._update(params, grads, scratch)

    def _prepare(self, params: Array) -> Array:
        """Create (or adopt loaded) state arrays and the scratch buffer for ``params``."""
        if not isinstance(params, np.ndarray) or params.dtype.kind != "f":
            raise DataError(f"params: expected a float ndarray, got {type(params).__name__} "
                            f"of dtype {getattr(params, 'dtype', None)}")
        if not params.flags.writeable:
            raise DataError("params: expected a writable array (it is updated in place)")
        for key in self.state_buffers:
            buf = self._state.get(key)
            if buf is None:
                self._state[key] = np.zeros_like(params)
            elif buf.shape != params.shape:
                raise ShapeError(
                    f"params: the optimizer's state {key!r} has shape {buf.shape}, params has "
                    f"{params.shape}; call reset() to start on new parameters"
                )
            elif buf.dtype != params.dtype:
                # loaded from a checkpoint in another precision: convert once
                self._state[key] = buf.astype(params.dtype)
        self._scratch = np.empty_like(params)
        return self._scratch

    def _update(self, params: Array, grads: Array, scratch: Array) -> None:
        raise NotImplementedError

    def state_dict(self) -> State:
        """Everything needed to continue bit for bit: ``η``, ``t``, hyperparameters, state.

        State arrays are copies; they are absent before the first step (they
        are created lazily then).
        """
        state: State = {
            "learning_rate": float(self.learning_rate),
            "initial_learning_rate": float(self.initial_learning_rate),
            "t": int(self.t),
        }
        for key in self.hyperparameters:
            state[key] = getattr(self, key)
        for key, buf in self._state.items():
            state[key] = buf.copy()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned; the next step is the one it would have been.

        Raises
        ------
        ModelFileError
            A required entry is missing or has the wrong type or shape.
        ConfigError
            A hyperparameter has a value the constructor would refuse.
        """
        required = ("learning_rate", "initial_learning_rate", "t", *self.hyperparameters)
        missing = [k for k in required if k not in state]
        if missing:
            raise ModelFileError(
                f"optimizer state for {type(self).__name__}: missing {', '.join(missing)}"
            )
        # validate into a fresh object first, so a bad state leaves self untouched
        hyper = {k: state[k] for k in self.hyperparameters}
        fresh = type(self)(learning_rate=state["learning_rate"], **hyper)
        _check_positive(state["initial_learning_rate"], "initial_learning_rate")
        t = _check_int(state["t"], "t", low=0)
        buffers: dict[str, Array] = {}
        for key in self.state_buffers:
            if key in state:
                buf = state[key]
                if not isinstance(buf, np.ndarray) or buf.dtype.kind != "f":
                    raise ModelFileError(f"optimizer state {key!r}: expected a float array, "
                                         f"got {type(buf).__name__}")
                buffers[key] = np.array(buf, copy=True)
        shapes = {b.shape for b in buffers.values()}
        if len(shapes) > 1:
            raise ModelFileError(f"optimizer state: arrays have different shapes {sorted(shapes)}")
        for key in self.hyperparameters:
            setattr(self, key, getattr(fresh, key))
        self.learning_rate = fresh.learning_rate
        self.initial_learning_rate = float(state["initial_learning_rate"])
        self.t = t
        self._state = buffers
        self._scratch = None

    def reset(self) -> None:
        """Forget all state: ``t = 0``, no moments, ``η`` back to its initial value."""
        self.t = 0
        self._state = {}
        self._scratch = None
        self.learning_rate = self.initial_learning_rate


class GradientDescent(Optimizer):
    """Plain gradient descent, the seed's step: ``θ ← θ − η g``.

    Two passes over memory: ``s = η g``, ``θ −= s``.

    Parameters
    ----------
    learning_rate : float, default 0.1
        ``η`` (> 0).
    """

    name = "gd"

    def _update(self, params: Array, grads: Array, scratch: Array) -> None:
        eta = params.dtype.type(self.learning_rate)
        np.multiply(grads, eta, out=scratch)  # s = η g
        params -= scratch


class SGD(Optimizer):
    """Gradient descent with momentum, in scikit-learn's form.

    ``v ← μ v − η g`` then ``θ ← θ + v``; with ``nesterov=True`` the step looks
    ahead along the new velocity: ``θ ← θ + μ v − η g``.

    Parameters
    ----------
    learning_rate : float, default 0.01
        ``η`` (> 0).
    momentum : float, default 0.9
        ``μ`` in [0, 1); 0 gives plain gradient descent.
    nesterov : bool, default False
        Use Nesterov's accelerated gradient.
    """

    name = "sgd"
    state_buffers = ("velocity",)
    hyperparameters = ("momentum", "nesterov")

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9,
                 nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _check_fraction(momentum, "momentum")
        if not isinstance(nesterov, bool | np.bool_):
            raise ConfigError(f"nesterov: expected True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)

    def _update(self, params: Array, grads: Array, scratch: Array) -> None:
        T = params.dtype.type
        mu, eta = T(self.momentum), T(self.learning_rate)
        v = self._state["velocity"]
        np.multiply(grads, eta, out=scratch)  # s = η g
        v *= mu
        v -= scratch  # v = μ v − η g
        if self.nesterov:
            params -= scratch  # θ − η g ...
            np.multiply(v, mu, out=scratch)
            params += scratch  # ... + μ v
        else:
            params += v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014) in scikit-learn's form.

    ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``, then with the bias
    correction folded into the step size, ``η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)``,
    ``θ ← θ − η_t m / (√v + ε)``.  At ``t = 1`` this is
    ``θ ← θ − η g / (|g| + ε/√(1 − β₂))``, a step of about ``η`` per weight.

    Parameters
    ----------
    learning_rate : float, default 1e-3
        ``η`` (> 0).
    beta_1, beta_2 : float, default 0.9, 0.999
        Decay rates of the first and second moments, in [0, 1).
    epsilon : float, default 1e-8
        ``ε`` (> 0), keeps the division finite.
    """

    name = "adam"
    state_buffers = ("m", "v")
    hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate: float = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.beta_1 = _check_fraction(beta_1, "beta_1")
        self.beta_2 = _check_fraction(beta_2, "beta_2")
        self.epsilon = _check_positive(epsilon, "epsilon")

    def _update(self, params: Array, grads: Array, scratch: Array) -> None:
        T = params.dtype.type
        b1, b2, t = self.beta_1, self.beta_2, self.t
        # the bias corrections are scalars, so they go into η_t in double precision
        eta_t = self.learning_rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m, v, s = self._state["m"], self._state["v"], scratch
        # first moment: m = β₁ m + (1 − β₁) g
        np.multiply(grads, T(1.0 - b1), out=s)
        m *= T(b1)
        m += s
        # second moment: v = β₂ v + (1 − β₂) g²
        np.square(grads, out=s)
        s *= T(1.0 - b2)
        v *= T(b2)
        v += s
        # θ −= η_t m / (√v + ε)
        np.sqrt(v, out=s)
        s += T(self.epsilon)
        np.divide(m, s, out=s)
        s *= T(eta_t)
        params -= s


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": GradientDescent,
    "gradient_descent": GradientDescent,
    "sgd": SGD,
    "adam": Adam,
}


def get_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """Build an optimiser by name: ``'gd'`` (alias ``'gradient_descent'``), ``'sgd'``, ``'adam'``.

    Keyword arguments go to the constructor; unknown names, unknown options and
    bad hyperparameters raise :class:`ConfigError` naming the argument.
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in OPTIMIZERS:
        raise ConfigError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
    cls = OPTIMIZERS[key]
    _check_kwargs(cls, kwargs, "optimizer")
    return cls(**kwargs)


# ---------------------------------------------------------------------------
# L2 penalty


def l2_penalty_grad(grads: Array, params: Array, mask: Array, alpha_over_n: float,
                    *, out: Array | None = None) -> Array:
    """Add the gradient of ``(α / 2n) Σ W²`` to ``grads`` in place: ``g += (α/n) θ ⊙ mask``.

    Parameters
    ----------
    grads, params : ndarray of shape (n_params,)
        The flat gradient (updated) and parameters.
    mask : ndarray of shape (n_params,), bool or float
        True (or 1) on weights, False (or 0) on biases, which are not penalised.
    alpha_over_n : float
        ``α / n`` for a batch of ``n`` examples.
    out : ndarray, optional
        Scratch buffer shaped like ``params``; pass one to allocate nothing.

    Returns
    -------
    grads : ndarray
        The same array, for chaining.
    """
    if alpha_over_n == 0:
        return grads
    s = np.empty_like(params) if out is None else out
    np.multiply(params, params.dtype.type(alpha_over_n), out=s)
    # a multiply by the mask is faster than ``np.add(..., where=mask)``
    np.multiply(s, mask, out=s)
    grads += s
    return grads


# ---------------------------------------------------------------------------
# learning-rate schedules


class LRSchedule:
    """Base class: a rule that changes ``optimizer.learning_rate`` during training.

    The training loop calls :meth:`on_step` after every step and calls the
    schedule itself at the end of every epoch; both do nothing here.
    """

    name = "schedule"

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer) -> None:
        """End of ``epoch`` with training cost ``cost`` (None if not computed)."""

    def on_step(self, optimizer: Optimizer) -> None:
        """After ``optimizer.step``; ``optimizer.t`` already counts that step."""

    def state_dict(self) -> State:
        """What :meth:`load_state_dict` needs to continue exactly."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore the result of :meth:`state_dict`."""

    def reset(self) -> None:
        """Forget what was learned during training."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ConstantLR(LRSchedule):
    """Keep ``η`` as it is (scikit-learn's ``learning_rate='constant'``)."""

    name = "constant"


class InverseScalingLR(LRSchedule):
    """Decay ``η`` as an inverse power of the step count (scikit-learn's ``'invscaling'``).

    Step ``k`` (1-based) uses ``η_k = η₀ / k^power_t``: after step ``t`` the
    rate is set to ``η₀ / (t + 1)^power_t`` for the next one, the same
    ``(time_step + 1)`` scikit-learn uses, counted in steps here.

    Parameters
    ----------
    initial : float
        ``η₀`` (> 0), normally the optimiser's learning rate.
    power_t : float, default 0.5
        Exponent (>= 0).
    """

    name = "invscaling"

    def __init__(self, initial: float, power_t: float = 0.5):
        self.initial = _check_positive(initial, "initial")
        self.power_t = _check_real(power_t, "power_t", low=0.0, low_closed=True)

    def rate(self, t: int) -> float:
        """``η₀ / (t + 1)^power_t``, the rate for the step after ``t`` steps."""
        return self.initial / (t + 1) ** self.power_t

    def on_step(self, optimizer: Optimizer) -> None:
        optimizer.learning_rate = self.rate(optimizer.t)

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer) -> None:
        # idempotent: gives the same rate as on_step did, so calling both is safe
        optimizer.learning_rate = self.rate(optimizer.t)

    def state_dict(self) -> State:
        return {"initial": self.initial, "power_t": self.power_t}

    def load_state_dict(self, state: dict) -> None:
        self.initial = _check_positive(state["initial"], "initial")
        self.power_t = _check_real(state["power_t"], "power_t", low=0.0, low_closed=True)

    def __repr__(self) -> str:
        return f"InverseScalingLR(initial={self.initial!r}, power_t={self.power_t!r})"


class ReduceLROnPlateau(LRSchedule):
    """Divide ``η`` when the training cost stops falling (scikit-learn's ``'adaptive'``).

    An epoch *improves* when ``cost <= best − tol``, ``best`` being the lowest
    cost so far.  After ``patience`` consecutive epochs without improvement,
    ``η ← max(η · factor, min_lr)`` and the count starts again.  When a
    reduction is due but ``η`` is already at ``min_lr``, :attr:`exhausted`
    becomes True (scikit-learn stops training there).  A NaN cost counts as no
    improvement.

    Parameters
    ----------
    factor : float, default 0.2
        Multiplier in (0, 1); scikit-learn divides by 5.
    patience : int, default 2
        Epochs without improvement before a reduction (>= 1).
    tol : float, default 1e-4
        The least decrease that counts as improvement (>= 0).
    min_lr : float, default 1e-6
        ``η`` never goes below this (>= 0).
    """

    name = "adaptive"

    def __init__(self, factor: float = 0.2, patience: int = 2, tol: float = 1e-4,
                 min_lr: float = 1e-6):
        self.factor = _check_real(factor, "factor", low=0.0, high=1.0)
        self.patience = _check_int(patience, "patience", low=1)
        self.tol = _check_real(tol, "tol", low=0.0, low_closed=True)
        self.min_lr = _check_real(min_lr, "min_lr", low=0.0, low_closed=True)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf
        self.n_bad_epochs = 0
        self.exhausted = False

    def __call__(self, epoch: int, cost: float | None, optimizer: Optimizer) -> None:
        if cost is None:
            return
        cost = float(cost)
        if cost <= self.best - self.tol:
            self.n_bad_epochs = 0
        else:
            self.n_bad_epochs += 1
        if cost < self.best:
            self.best = cost
        if self.n_bad_epochs >= self.patience:
            self.n_bad_epochs = 0
            if optimizer.learning_rate <= self.min_lr:
                self.exhausted = True
            else:
                optimizer.learning_rate = max(optimizer.learning_rate * self.factor, self.min_lr)

    def state_dict(self) -> State:
        return {
            "factor": self.factor, "patience": self.patience, "tol": self.tol,
            "min_lr": self.min_lr, "best": self.best, "n_bad_epochs": self.n_bad_epochs,
            "exhausted": int(self.exhausted),
        }

    def load_state_dict(self, state: dict) -> None:
        fresh = ReduceLROnPlateau(state["factor"], state["patience"], state["tol"],
                                  state["min_lr"])
        self.factor, self.patience = fresh.factor, fresh.patience
        self.tol, self.min_lr = fresh.tol, fresh.min_lr
        self.best = float(state["best"])
        self.n_bad_epochs = _check_int(state["n_bad_epochs"], "n_bad_epochs", low=0)
        self.exhausted = bool(state["exhausted"])

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(factor={self.factor!r}, patience={self.patience!r}, "
                f"tol={self.tol!r}, min_lr={self.min_lr!r})")


SCHEDULES: dict[str, type[LRSchedule]] = {
    "constant": ConstantLR,
    "invscaling": InverseScalingLR,
    "adaptive": ReduceLROnPlateau,
    "plateau": ReduceLROnPlateau,
}


def get_schedule(name: str, optimizer_lr: float, **kw: Any) -> LRSchedule:
    """Build a schedule by name: ``'constant'``, ``'invscaling'``, ``'adaptive'`` (``'plateau'``).

    ``optimizer_lr`` is ``η₀`` for ``'invscaling'``; the other schedules act on
    whatever rate the optimiser holds.  Unknown names or options raise
    :class:`ConfigError`.
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in SCHEDULES:
        raise ConfigError(f"learning_rate schedule: expected one of {', '.join(SCHEDULES)}, "
                          f"got {name!r}")
    cls = SCHEDULES[key]
    _check_kwargs(cls, kw, "schedule")
    if cls is InverseScalingLR:
        return InverseScalingLR(optimizer_lr, **kw)
    return cls(**kw)


# ---------------------------------------------------------------------------
# L-BFGS


def minimize_lbfgs(fun_and_grad: Callable[[Array], tuple[float, Array]], x0: Array, *,
                   max_iter: int = 200, tol: float = 1e-4, max_fun: int = 15000,
                   callback: Callable[[Any], bool | None] | None = None) -> Any:
    """Minimise ``C(θ)`` with SciPy's L-BFGS-B, starting from and ending in ``x0``.

    SciPy works in float64.  The conversion happens only at its boundary: each
    point SciPy asks for is written into ``x0`` itself (cast to ``x0``'s dtype)
    and ``fun_and_grad(x0)`` is called, so when ``x0`` is a network's
    ``params`` the network already holds the point and ``fun_and_grad`` may
    ignore its argument; the gradient is copied to float64 (it may be a
    buffer that the next evaluation overwrites).  At the end the solution
    ``result.x`` is written into ``x0``.  With float32 parameters the function
    is evaluated at float32-rounded points, so very small ``tol`` may end in a
    line-search failure rather than convergence.

    Parameters
    ----------
    fun_and_grad : callable ``θ -> (C, ∂C/∂θ)``
        Cost and gradient at ``θ`` (gradient of ``x0``'s size).
    x0 : ndarray of shape (n,)
        Writable float vector: the starting point, overwritten with the answer.
    max_iter : int, default 200
        Most iterations (SciPy's ``maxiter``).
    tol : float, default 1e-4
        Stop when the largest gradient component is below this (SciPy's ``gtol``).
    max_fun : int, default 15000
        Most evaluations of ``fun_and_grad`` (SciPy's ``maxfun``).
    callback : callable, optional
        Called after each iteration with an ``OptimizeResult`` holding ``x``
        (``x0``, with the iterate written in), ``fun`` and ``nit``; returning
        True stops the run.

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result, message and counts unchanged (``x`` in float64).
    """
    from scipy.optimize import OptimizeResult, minimize

    if not isinstance(x0, np.ndarray) or x0.dtype.kind != "f":
        raise DataError(f"x0: expected a float ndarray, got {type(x0).__name__}")
    if x0.ndim != 1:
        raise ShapeError(f"x0: expected a 1-D vector, got shape {x0.shape}")
    if not x0.flags.writeable:
        raise DataError("x0: expected a writable array (the answer is written into it)")
    max_iter = _check_int(max_iter, "max_iter", low=1)
    max_fun = _check_int(max_fun, "max_fun", low=1)
    tol = _check_positive(tol, "tol")

    def fun(theta: Array) -> tuple[float, Array]:
        x0[...] = theta
        cost, grad = fun_and_grad(x0)
        grad64 = np.array(grad, dtype=np.float64, copy=True).reshape(-1)  # (n,)
        if grad64.shape != x0.shape:
            raise ShapeError(f"fun_and_grad: gradient has {grad64.size} values, "
                             f"expected {x0.size}")
        return float(cost), grad64

    scipy_callback = None
    if callback is not None:
        nit = 0

        def scipy_callback(intermediate_result: Any) -> None:
            nonlocal nit
            nit += 1
            x0[...] = intermediate_result.x
            info = OptimizeResult(x=x0, fun=float(intermediate_result.fun), nit=nit)
            if callback(info):
                raise StopIteration  # SciPy ends the run and says so in result.message

    result = minimize(
        fun, x0.astype(np.float64), method="L-BFGS-B", jac=True,
        callback=scipy_callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
    x0[...] = result.x
    return result
