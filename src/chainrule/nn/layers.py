"""One dense layer, forward and backward, written once; and the buffers a network runs in.

Layer ``l`` of the exercise computes, for one example (a column vector)::

    z(l) = W(l) a(l−1) + b(l),      a(l) = σ(z(l))

A batch stores its N examples as rows, so the same equations read (shapes below them)::

    Z = A_prev Wᵀ + b              A = σ(Z)
    (N, n) = (N, n_prev) (n_prev, n) + (n,)

and back-propagation through the layer, from ``dZ = ∂C/∂Z``, is::

    dW = dZᵀ A_prev        ∂z/∂W = a(l−1)              (n, n_prev), summed over the examples
    db = Σ_k dZ[k]         ∂z/∂b = 1                   (n,)
    dA_prev = dZ W         ∂z(l)/∂a(l−1) = W(l)        (N, n_prev)
    dZ_prev = dA_prev ⊙ σ'(Z_prev)                     (N, n_prev), the layer below's σ

A layer's forward pass is :func:`weighted_sum`, then σ, the layer's
:class:`~chainrule.nn.activations.Activation` (``sigma.forward(Z, A)`` into a
buffer, ``sigma(Z)`` as a new array).  Its backward pass is :func:`backward`
(the first three lines above), then σ' of the layer below (that activation's
``backward``, in place).  Every user of the math calls these:
:class:`~chainrule.nn.network.Network` on its preallocated buffers (the hot path
of training), the landscape on stacks of grid points, the ledger on all examples
at once, and the chain rule on unit vectors.

Sparse inputs: the input ``A_prev`` of a network's first layer may be a SciPy sparse
matrix (CSR, as the estimators pass it).  :func:`sparse_weighted_sum` and
:func:`sparse_backward` take such rows (and dense ones, which they hand to the two
functions above): the products stay sparse, ``X Wᵀ`` and ``dW = (Xᵀ dZ)ᵀ`` (zeros
skipped, nothing densified), and no layer needs ``dX``.  A network calls them only for a
pass whose input is sparse: the dense path checks once per pass, not once per layer.

Arrays of other libraries: without buffers, :func:`weighted_sum` and :func:`backward` use
operators and methods only (``@``, ``.mT``, ``.reshape``, ``.sum``), so a network whose
parameters live in PyTorch or CuPy (:mod:`chainrule.nn.portable`) runs the same two
functions on its device.

Leading batch axes: arrays of shape ``(…, N, n)`` hold one batch of N examples
per leading index (a grid point of the landscape, an example of the ledger).
:func:`weighted_sum` multiplies them as one matrix; :func:`backward` sums
``dW`` and ``db`` over the N examples of each batch and keeps the leading axes.

The rest of the module is the storage of a network's forward and backward
passes: :class:`Buffers` (flat arrays grown to the largest batch) and
:class:`Plan` (the views and operands for one batch size, built once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import Activation, Scratch
from .costs import Cost

__all__ = ["Cache", "backward", "sparse_backward", "sparse_weighted_sum", "weighted_sum"]

Array = np.ndarray

# Module-level names for the ufuncs of the hot path: a global look-up, not two.
_dot, _add = np.dot, np.add

# ---------------------------------------------------------------------------
# The math of one layer
# ---------------------------------------------------------------------------


def weighted_sum(A_prev: Array, W: Array, b: Array, Z: Array | None = None,
                 WT: Array | None = None, ZT: Array | None = None) -> Array:
    """The weighted sums ``Z = A_prev Wᵀ + b`` of one layer.

    Parameters
    ----------
    A_prev : ndarray of shape (…, N, n_prev)
        The activations ``a(l−1)`` of the layer below, one example per row.
    W : ndarray of shape (n, n_prev)
    b : ndarray of shape (n,)
        Given as a column (n, 1) together with ``ZT``.
    Z : ndarray of shape (N, n), optional
        Where to write, with ``WT`` or ``ZT``; a new (…, N, n) array by default.
    WT : ndarray of shape (n_prev, n), optional
        ``W.T``, a view the caller keeps, for a C-contiguous ``Z``.
    ZT : ndarray of shape (n, N), optional
        The C-contiguous transpose of a column-major ``Z`` (a network's output
        layer); the product is then written as ``Zᵀ = W A_prevᵀ + b``.

    Returns
    -------
    ndarray
        ``Z``.
    """
    if Z is None:
        if A_prev.ndim == 2:  # operators only: any array-API library's arrays (nn.portable)
            Z = A_prev @ W.T  # (N, n)
        else:  # NumPy's leading batch axes: every example of every batch in one product
            Z = A_prev.reshape(-1, A_prev.shape[-1]) @ W.T  # (…·N, n)
            Z = Z.reshape(*A_prev.shape[:-1], W.shape[0])  # (…, N, n)
        Z += b
        return Z
    # np.dot, not np.matmul: the same BLAS call with less overhead per call (0.4–0.8 µs
    # of a 1.5 µs product for the tiny networks); its out= must be C-contiguous
    if ZT is None:
        _dot(A_prev, WT, out=Z)  # (N, n) = (N, n_prev) @ (n_prev, n)
        _add(Z, b, out=Z)
    else:
        _dot(W, A_prev.T, out=ZT)  # Zᵀ: (n, N) = (n, n_prev) @ (n_prev, N)
        _add(ZT, b, out=ZT)  # b as a column (n, 1)
    return Z


def backward(dZ: Array, A_prev: Array | None, W: Array | None = None,
             dW: Array | None = None, db: Array | None = None, dA_prev: Array | None = None,
             dZT: Array | None = None, ones: Array | None = None, *,
             xp: Any = None) -> tuple[Array | None, Array | None, Array | None]:
    """Back-propagation through one layer's weighted sum.

    From ``dZ = ∂C/∂Z`` of the layer::

        dW = dZᵀ A_prev,      db = Σ_k dZ[k],      dA_prev = dZ W

    (``∂z/∂W = a(l−1)``, ``∂z/∂b = 1``, ``∂z(l)/∂a(l−1) = W(l)``).  The layer
    below then takes ``dZ_prev = dA_prev ⊙ σ'(Z_prev)`` with its activation's
    ``backward``.

    Parameters
    ----------
    dZ : ndarray of shape (…, N, n)
    A_prev : ndarray of shape (…, N, n_prev) or None
        ``a(l−1)``; None when ``dW`` and ``db`` are not wanted.  A slice of
        columns of ``dZ`` and of ``A_prev`` gives the same slice of ``dW``
        (``dZ[..., r:r+1]`` and ``A_prev[..., c:c+1]``: the entry [r, c] alone).
    W : ndarray of shape (n, n_prev) or None
        None when ``dA_prev`` is not wanted (the first layer).
    dW, db, dA_prev : ndarray, optional
        Buffers to write into (2-D only; ``dA_prev`` C-contiguous), with ``dZT``
        and ``ones``.  Without them the results are new arrays and leading axes
        are kept: ``dW`` of shape (…, n, n_prev) and ``db`` (…, n) summed over
        the N examples of each batch, ``dA_prev`` (…, N, n_prev).
    dZT, ones : ndarray, optional
        With the buffers: ``dZ.T`` and a vector of N ones (``db`` is taken
        as the product ``1ᵀ dZ``, at BLAS speed), views the caller keeps.
    xp : module, optional
        The array-API namespace of arrays of another library than NumPy (2-D, without
        buffers: :mod:`chainrule.nn.portable`); the sum ``db`` is its ``xp.sum``.

    Returns
    -------
    (dW, db, dA_prev)
        None for what was not asked for.
    """
    if dW is None:  # new arrays, leading batch axes kept
        if A_prev is not None:
            # (…, n, n_prev) = (…, n, N) @ (…, N, n_prev)
            dW = dZ.mT @ A_prev
            db = (np if xp is None else xp).sum(dZ, axis=-2)  # (…, n)
        if W is not None and dZ.ndim == 2:  # operators only: any array-API library's
            dA_prev = dZ @ W  # (N, n_prev)
        elif W is not None:  # NumPy's leading axes: one product
            dA_prev = dZ.reshape(-1, dZ.shape[-1]) @ W  # (…·N, n_prev)
            dA_prev = dA_prev.reshape(*dZ.shape[:-1], W.shape[1])  # (…, N, n_prev)
        return dW, db, dA_prev
    _dot(dZT, A_prev, out=dW)  # (n, n_prev) = (n, N) @ (N, n_prev)
    _dot(ones, dZ, out=db)  # (n,) = (N,) @ (N, n)
    if dA_prev is not None:
        _dot(dZ, W, out=dA_prev)  # (N, n_prev) = (N, n) @ (n, n_prev)
    return dW, db, dA_prev


def sparse_weighted_sum(A_prev: Any, W: Array, b: Array, Z: Array | None = None,
                        WT: Array | None = None, ZT: Array | None = None) -> Array:
    """:func:`weighted_sum` for rows that may be a SciPy sparse (N, n_prev) matrix.

    ``Z = A_prev Wᵀ + b`` is then a sparse × dense product (the zeros skipped), written
    into ``Z`` (or ``ZT``) when given; dense rows go to :func:`weighted_sum`.
    """
    if isinstance(A_prev, np.ndarray):
        return weighted_sum(A_prev, W, b, Z, WT, ZT)
    P = A_prev @ W.T  # (N, n), dense
    if Z is None:
        return _add(P, b, out=P)
    _add(P if ZT is None else P.T, b, out=Z if ZT is None else ZT)
    return Z


def sparse_backward(dZ: Array, A_prev: Any, W: Array | None = None, dW: Array | None = None,
                    db: Array | None = None, dA_prev: Array | None = None,
                    dZT: Array | None = None,
                    ones: Array | None = None) -> tuple[Array | None, Array | None, Array | None]:
    """:func:`backward` for a layer whose rows may be a SciPy sparse (N, n_prev) matrix.

    Sparse rows are a first layer's input: ``dW = (A_prevᵀ dZ)ᵀ`` is a sparse × dense
    product and ``db = Σ_k dZ[k]``; there is no ``dA_prev``.  Dense rows go to
    :func:`backward`.
    """
    if isinstance(A_prev, np.ndarray):
        return backward(dZ, A_prev, W, dW, db, dA_prev, dZT, ones)
    G = (A_prev.T @ dZ).T  # (n, n_prev) = ((n_prev, N) @ (N, n))ᵀ
    if dW is None:
        return G, dZ.sum(axis=0), None
    np.copyto(dW, G)
    _dot(ones, dZ, out=db)  # (n,) = (N,) @ (N, n)
    return dW, db, None


# ---------------------------------------------------------------------------
# A network's storage: the forward cache, the buffers, the plan for one batch size
# ---------------------------------------------------------------------------


@dataclass
class Cache:
    """What the forward pass leaves for back-propagation.

    ``Z[l]`` and ``A[l + 1]`` are layer ``l + 1``'s weighted sums and activations
    (shape ``(N, n_{l+1})``); ``A[0]`` is the input batch.  ``dZ[l]`` holds
    back-propagation's ``∂C/∂Z`` of layer ``l + 1`` after a backward pass.  The
    arrays are views into buffers that the next pass overwrites: copy what you keep.
    """

    Z: list[Array] = field(default_factory=list)
    A: list[Array] = field(default_factory=list)
    dZ: list[Array] = field(default_factory=list)

    @property
    def n_examples(self) -> int:
        """N, the number of examples of the pass (0 before the first)."""
        return self.A[0].shape[0] if self.A else 0


class Buffers:
    """Flat storage for every layer's Z, A and dZ, and for the scratch arrays.

    Z, A and dZ are sized for ``capacity`` examples, grown (never shrunk) to the
    largest batch seen.  The scratch arrays (:class:`~chainrule.nn.activations.Scratch`)
    have their own capacity, grown only by back-propagation, so that evaluating
    large chunks of data does not enlarge them.  :meth:`views` and
    :meth:`scratch_views` cut the arrays for a batch of N examples out of the storage.

    Hidden layers are row-major ``(N, n_l)``.  The output layer is column-major:
    its transpose ``(n_L, N)`` is C-contiguous, so the reductions over the outputs
    of each example (softmax, the costs) run as one vector operation per output
    instead of one short reduction per example (3–4× faster for 10 outputs).

    Parameters
    ----------
    sizes : sequence of int
        The network's layer sizes ``(n_in, …, n_out)``.
    identity : sequence of bool
        Per layer, whether σ is the identity (A then shares Z's storage).
    zeros : bool
        Whether the scratch needs an array of zeros (relu, softplus).
    dtype : numpy.dtype
    """

    def __init__(self, sizes: Sequence[int], identity: Sequence[bool], zeros: bool,
                 dtype: np.dtype):
        self.sizes, self.identity, self.dtype = sizes, identity, dtype
        self.needs_zeros = zeros
        self.capacity = self.scratch_capacity = 0

    def ensure(self, n: int) -> bool:
        """Make room for n examples in Z, A and dZ; True if the storage was reallocated."""
        if n <= self.capacity:
            return False
        cap = max(n, self.capacity * 2)
        widths = self.sizes[1:]
        self.Z = [np.empty(cap * w, self.dtype) for w in widths]
        # An identity layer's activation is its weighted sum: share the buffer.
        self.A = [Z if ident else np.empty_like(Z) for Z, ident in zip(self.Z, self.identity)]
        self.dZ = [np.empty(cap * w, self.dtype) for w in widths]
        self.ones = np.ones(cap, self.dtype)
        self.capacity = cap
        return True

    def ensure_scratch(self, n: int) -> bool:
        """Make room for n examples in the scratch arrays; True if they were reallocated."""
        if n <= self.scratch_capacity:
            return False
        size = n * max(self.sizes[1:])
        self.values = np.empty(size, self.dtype)
        self.mask = np.empty(size, np.bool_)
        self.zeros = np.zeros(size if self.needs_zeros else 0, self.dtype)
        self.scratch_capacity = n
        return True

    def cut(self, flat: Array, l: int, N: int) -> Array:
        """Layer ``l + 1``'s (N, n) view of a flat array (column-major for the output layer)."""
        w = self.sizes[l + 1]
        if l == len(self.sizes) - 2:
            return flat[:N * w].reshape(w, N).T  # (N, n_L), column-major
        return flat[:N * w].reshape(N, w)  # (N, n_l), row-major

    def views(self, N: int) -> tuple[list[Array], list[Array], list[Array]]:
        """Z, A and dZ of every layer for N examples (N ≤ capacity)."""
        L = len(self.sizes) - 1
        Zs = [self.cut(self.Z[l], l, N) for l in range(L)]
        As = [Zs[l] if self.A[l] is self.Z[l] else self.cut(self.A[l], l, N) for l in range(L)]
        return Zs, As, [self.cut(self.dZ[l], l, N) for l in range(L)]

    def scratch_views(self, N: int) -> list[Scratch] | list[None]:
        """Each layer's scratch for N examples, or Nones if N exceeds the scratch capacity."""
        L = len(self.sizes) - 1
        if N > self.scratch_capacity:
            return [None] * L
        return [Scratch(self.cut(self.values, l, N), self.cut(self.mask, l, N),
                        self.cut(self.zeros, l, N) if self.needs_zeros else self.zeros)
                for l in range(L)]


class Plan:
    """Everything one forward and backward pass on N examples needs, built once per N.

    The loops of :meth:`Network.forward <chainrule.nn.network.Network.forward>` and
    :meth:`~chainrule.nn.network.Network.backward` then do no attribute look-ups,
    list building or view creation: for a tiny network the Python overhead per
    layer is most of a step.

    Attributes
    ----------
    forward : list of tuple
        Per layer, the arguments of :func:`weighted_sum` after ``A_prev``, then
        σ's forward, the layer's A and scratch: ``(W, b, Z, WT, ZT, σ, A, scratch)``.
        The output layer writes its column-major Z through ``ZT`` (b as a column).
    output : tuple
        The arguments of :func:`~chainrule.nn.costs.output_delta` but Y:
        ``(cost, σ, Z, A, dZ, scratch)`` of the output layer.
    backward : list of tuple
        From the output layer down, the arguments of :func:`backward` after
        ``dZ`` and ``A_prev``, then the layer below's σ step:
        ``(dZ, l, W, dW, db, dA_prev, dZT, below)`` with ``below`` None for the
        first layer, else ``(σ', Z_prev, A_prev, scratch)``.
    """

    def __init__(self, buffers: Buffers, W: Sequence[Array], b: Sequence[Array],
                 dW: Sequence[Array], db: Sequence[Array],
                 activations: Sequence[Activation], cost: Cost, N: int):
        Zs, As, dZs = buffers.views(N)
        work = buffers.scratch_views(N)
        L = len(W)
        self.N = N
        self.has_scratch = work[0] is not None
        self.work = work
        self.cache = Cache(Zs, [np.empty((0, 0), buffers.dtype), *As], dZs)
        self.ones = buffers.ones[:N]
        self.output = (cost, activations[-1], Zs[-1], As[-1], dZs[-1], work[-1])
        self.forward = [(W[l], b[l], Zs[l], W[l].T, None, activations[l].forward, As[l],
                         work[l]) for l in range(L - 1)]
        self.forward.append((W[-1], b[-1][:, None], Zs[-1], None, Zs[-1].T,
                             activations[-1].forward, As[-1], work[-1]))
        self.backward = []
        for l in range(L - 1, -1, -1):
            below = (activations[l - 1].backward, Zs[l - 1], As[l - 1], work[l - 1]) if l else None
            self.backward.append((dZs[l], l, W[l] if l else None, dW[l], db[l],
                                  dZs[l - 1] if l else None, dZs[l].T, below))
