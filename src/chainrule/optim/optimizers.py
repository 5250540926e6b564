"""Step optimisers: turn a gradient ``g = ∂C/∂θ`` into an update of the parameters ``θ``.

Optimisers know nothing about layers.  Each one updates a flat parameter
vector (a network's :attr:`~chainrule.Network.params`) in place from a flat
gradient vector of the same layout::

    opt = Adam(learning_rate=1e-3)
    for X_batch, Y_batch in batches:
        C, g = net.cost_and_gradient(X_batch, Y_batch)
        opt.step(net.params, g)             # θ updated in place

The update rules follow scikit-learn's ``_stochastic_optimizers`` so that the
two libraries take the same steps:

* gradient descent (the exercise's step): ``θ ← θ − η g``;
* momentum: ``v ← μ v − η g``, ``θ ← θ + v`` (Nesterov: ``θ ← θ + μ v − η g``
  with the new ``v``);
* Adam: ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``,
  ``η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)``, ``θ ← θ − η_t m / (√v + ε)``.

A step allocates nothing large: the moments and one scratch buffer (same shape
and dtype as ``θ``) are created on the first step and reused, every pass is an
in-place ufunc with ``out=``, and scalars are cast to ``θ``'s dtype so float32
parameters are never promoted to float64.

Every solver, these and L-BFGS (:mod:`chainrule.optim.lbfgs`), says what kind it is
through the class attributes of :class:`Solver`; the training engine asks them
(:mod:`chainrule.optim.solvers` holds the registry by name).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, ModelFileError, ShapeError
from ..utils.namespace import array_namespace, to_numpy
from .checks import check_fraction, check_int, check_kwargs, check_rate

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "GradientDescent",
    "Optimizer",
    "Solver",
    "get_optimizer",
]

Array = np.ndarray
State = dict[str, np.ndarray | float | int]


class Solver:
    """What every solver says about itself; the training engine asks these, never names.

    Attributes
    ----------
    name : str
        The name it is registered under (``'adam'``).
    aliases : tuple of str
        Other names that select it (``'gradient_descent'``).
    label : str
        How it is described to people (``'Adam'``).
    full_batch : bool
        False: it takes steps ``θ ← θ + Δθ`` on mini-batches (:meth:`Optimizer.step`).
        True: it minimises the full-batch cost ``C(θ)`` from ``C`` and ``∂C/∂θ``
        (:meth:`~chainrule.optim.lbfgs.LBFGS.minimize`).
    has_learning_rate : bool
        Whether it has a step size ``η`` that schedules may change.
    checkpointable : bool
        Whether its state can be saved and a run resumed bit for bit.
    hyperparameters : tuple of str
        Its options besides ``learning_rate`` (constructor keywords).
    """

    name = "solver"
    aliases: tuple[str, ...] = ()
    label = "solver"
    full_batch = False
    has_learning_rate = True
    checkpointable = True
    hyperparameters: tuple[str, ...] = ()

    def state_dict(self) -> State:
        """What a resumed run needs to continue (nothing here)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` (nothing here)."""


class Optimizer(Solver):
    """Base class: an update rule ``θ ← θ + Δθ(g, state)`` applied in place.

    Subclasses list their per-parameter state arrays in ``state_buffers`` and their
    hyperparameters in ``hyperparameters``, and implement ``_update``.

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

    def __init__(self, learning_rate: float = 0.1):
        self.learning_rate = check_rate(learning_rate, "learning_rate")
        self.initial_learning_rate = self.learning_rate
        self.t = 0
        self._state: dict[str, Array] = {}
        self._scratch: Array | None = None
        self._xp: Any = None  # the namespace of params of another array library than NumPy

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
        if self._xp is not None:
            self._update_portable(params, grads)
        else:
            self._update(params, grads, scratch)

    def __getstate__(self) -> dict[str, Any]:
        # On another library's device the namespace (a module) is not pickled: the next
        # step finds it again from the parameters (the state tensors pickle as they are).
        state = dict(self.__dict__)
        if state["_xp"] is not None:
            state["_xp"] = state["_scratch"] = None
        return state

    def _prepare(self, params: Array) -> Array:
        """Create (or adopt loaded) state arrays and the scratch buffer for ``params``."""
        ns = array_namespace(params)
        self._xp = None if ns is None else ns.xp
        if ns is not None:  # another array library: state there, on params' device
            if not ns.xp.isdtype(params.dtype, "real floating"):
                raise DataError(f"params: expected a float array, got {params.dtype}")
            for key in self.state_buffers:
                buf = self._state.get(key)
                self._state[key] = ns.xp.zeros_like(params) if buf is None else \
                    ns.xp.asarray(to_numpy(buf), dtype=params.dtype, device=ns.device)
            self._scratch = ns.xp.empty_like(params)
            return self._scratch
        if not isinstance(params, np.ndarray) or params.dtype.kind != "f":
            raise DataError(f"params: expected a float ndarray, got {type(params).__name__} "
                            f"of dtype {getattr(params, 'dtype', None)}")
        if not params.flags.writeable:
            raise DataError("params: expected a writable array (it is updated in place)")
        for key in self.state_buffers:
            buf = self._state.get(key)
            if buf is None:
                self._state[key] = np.zeros_like(params)
            elif tuple(buf.shape) != params.shape:
                raise ShapeError(
                    f"params: the optimizer's state {key!r} has shape {tuple(buf.shape)}, "
                    f"params has {params.shape}; call reset() to start on new parameters"
                )
            elif not isinstance(buf, np.ndarray) or buf.dtype != params.dtype:
                # loaded from a checkpoint in another precision, or left on another
                # library's device by a run there (the network moved back): one copy
                self._state[key] = to_numpy(buf).astype(params.dtype)
        self._scratch = np.empty_like(params)
        return self._scratch

    def _update(self, params: Array, grads: Array, scratch: Array) -> None:
        raise NotImplementedError

    def _update_portable(self, params: Array, grads: Array) -> None:
        """:meth:`_update` for arrays of another library: in-place operators only."""
        raise NotImplementedError

    def state_dict(self) -> State:
        """Everything needed to continue bit for bit: ``η``, ``t``, hyperparameters, state.

        State arrays are NumPy copies (on the host, whatever the device of the
        parameters); they are absent before the first step (they are created lazily then).
        """
        state: State = {
            "learning_rate": float(self.learning_rate),
            "initial_learning_rate": float(self.initial_learning_rate),
            "t": int(self.t),
        }
        for key in self.hyperparameters:
            state[key] = getattr(self, key)
        for key, buf in self._state.items():
            state[key] = to_numpy(buf).copy()
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
        check_rate(state["initial_learning_rate"], "initial_learning_rate")
        t = check_int(state["t"], "t", low=0)
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
    """Plain gradient descent, the exercise's step: ``θ ← θ − η g``.

    Two passes over memory: ``s = η g``, ``θ −= s``.

    Parameters
    ----------
    learning_rate : float, default 0.1
        ``η`` (> 0).
    """

    name = "gd"
    aliases = ("gradient_descent",)
    label = "gradient descent θ ← θ − η ∂C/∂θ"

    def _update(self, params: Array, grads: Array, scratch: Array) -> None:
        eta = params.dtype.type(self.learning_rate)
        np.multiply(grads, eta, out=scratch)  # s = η g
        params -= scratch

    def _update_portable(self, params: Array, grads: Array) -> None:
        params -= grads * self.learning_rate  # θ ← θ − η g


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
    label = "SGD with momentum"
    state_buffers = ("velocity",)
    hyperparameters = ("momentum", "nesterov")

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9,
                 nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_fraction(momentum, "momentum")
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

    def _update_portable(self, params: Array, grads: Array) -> None:
        mu, eta = self.momentum, self.learning_rate
        v = self._state["velocity"]
        s = grads * eta  # s = η g
        v *= mu
        v -= s  # v = μ v − η g
        if self.nesterov:
            params -= s  # θ − η g ...
            params += v * mu  # ... + μ v
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
    label = "Adam"
    state_buffers = ("m", "v")
    hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate: float = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.beta_1 = check_fraction(beta_1, "beta_1")
        self.beta_2 = check_fraction(beta_2, "beta_2")
        self.epsilon = check_rate(epsilon, "epsilon")

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

    def _update_portable(self, params: Array, grads: Array) -> None:
        b1, b2, t = self.beta_1, self.beta_2, self.t
        eta_t = self.learning_rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m, v = self._state["m"], self._state["v"]
        m *= b1
        m += grads * (1.0 - b1)  # m = β₁ m + (1 − β₁) g
        v *= b2
        v += (grads * grads) * (1.0 - b2)  # v = β₂ v + (1 − β₂) g²
        params -= (m / (self._xp.sqrt(v) + self.epsilon)) * eta_t  # θ −= η_t m / (√v + ε)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    name: cls for cls in (GradientDescent, SGD, Adam) for name in (cls.name, *cls.aliases)
}


def get_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """A step optimiser by name: ``'gd'`` (alias ``'gradient_descent'``), ``'sgd'``, ``'adam'``.

    Keyword arguments go to the constructor; unknown names, unknown options and
    bad hyperparameters raise :class:`ConfigError` naming the argument.  For every
    solver, L-BFGS included, see :func:`chainrule.optim.make_solver`.
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in OPTIMIZERS:
        raise ConfigError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
    cls = OPTIMIZERS[key]
    check_kwargs(cls, kwargs, "optimizer")
    return cls(**kwargs)
