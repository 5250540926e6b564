"""scikit-learn's sample-weight equivalence check, with tolerances float32 arithmetic can meet.

scikit-learn's check fits once on rows repeated as many times as their integer weights
and once on the rows with those weights, and asks for the same predictions to
``rtol = 1e-7``.  chainrule's float64 estimators pass it as it is.  A float32 network
sums the repeated rows and the weighted rows in another order, so the two fits differ
by rounding: measured on the check's data, ~1.2e-7 of the outputs' size for the step
solvers after 100 epochs, and up to 1.4e-3 for L-BFGS, whose line searches amplify the
rounding of float32 costs within ten iterations.  Ignoring the weights instead puts the
two fits 0.44 to 1.0 of the outputs' size apart, so the tolerances below (about ten
times the rounding) still tell a wrong weighting from a right one.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import set_random_state

# the largest difference allowed, as a share of the outputs' largest magnitude
STEP_SOLVER_RTOL = 2e-6
LBFGS_RTOL = 1e-2


def check_sample_weight_equivalence_float32(name: str, estimator_orig: object,
                                            sparse: bool = False) -> None:
    """Integer sample weights fit as repeated rows do, to float32 tolerances.

    The data are those of scikit-learn's check: 15 rows of 30 uniform features,
    3 classes (or integer targets), weights drawn from 0 to 4.
    """
    import scipy.sparse as sp

    rng = np.random.RandomState(42)
    n = 15
    X = rng.rand(n, 2 * n)
    y = rng.randint(0, 3, size=n)
    weights = rng.randint(0, 5, size=n)
    X_repeated, y_repeated = X.repeat(weights, axis=0), y.repeat(weights)
    if sparse:
        X, X_repeated = sp.csr_array(X), sp.csr_array(X_repeated)
    weighted, repeated = clone(estimator_orig), clone(estimator_orig)
    for est in (weighted, repeated):
        set_random_state(est, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short, unconverged fit
        repeated.fit(X_repeated, y_repeated)
        weighted.fit(X, y, sample_weight=weights)
    rtol = LBFGS_RTOL if repeated.solver == "lbfgs" else STEP_SOLVER_RTOL
    for method in ("predict_proba", "predict"):
        if hasattr(repeated, method):
            expected, got = getattr(repeated, method)(X), getattr(weighted, method)(X)
            np.testing.assert_allclose(
                got, expected, rtol=0, atol=rtol * float(np.abs(expected).max()),
                err_msg=f"{method} of {name}: fitting with sample_weight is not fitting on "
                        "repeated rows")
