"""scikit-learn estimators: :class:`MLPRegressor` and :class:`MLPClassifier`.

Drop-in replacements for ``sklearn.neural_network``'s MLPs: the same
hyperparameters (names and defaults), the same fitted attributes, ``fit``,
``partial_fit``, ``predict``, ``predict_proba`` and ``score``, and input
checks from :mod:`sklearn.utils.validation` (so the messages are
scikit-learn's).  Underneath, a :class:`~chainrule.nn.network.Network` is
trained by the training engine, :class:`~chainrule.train.Trainer`, the same that
:func:`~chainrule.train.fit` and the command line use (the estimators only translate
scikit-learn's hyperparameters into its parts: see :mod:`.base`); the network is
``network_`` after fitting, and ``coefs_[l]`` / ``intercepts_[l]`` are views of its ``W[l].T``
and ``b[l]`` (scikit-learn stores the transposed weights, shape
``(n_{l−1}, n_l)``); assigning them copies into the network.  ``est.to_model()`` gives
the fitted network as a :class:`~chainrule.Model`.  Both estimators are also
``chainrule.MLPClassifier`` and ``chainrule.MLPRegressor``.

scikit-learn's own tests of its MLPs (``sklearn/neural_network/tests/test_mlp.py``)
run against these estimators in chainrule's test suite; all pass but those that call
scikit-learn's private internals, whose questions chainrule's suite asks through its
public API (``tests/test_sklearn_suite.py`` lists them).

What is the same as scikit-learn
    * Inputs: dense arrays or SciPy sparse CSR/CSC matrices (the first layer's
      products stay sparse; nothing is densified); float32 input trains a
      float32 network (``coefs_`` in float32), any other a float64 one.
    * Initial weights: ``W, b ~ U(−r, r)``, ``r = √(6 / (fan_in + fan_out))``
      (``√(2 / …)`` for a logistic hidden activation), drawn from
      ``check_random_state(random_state)`` in scikit-learn's order, so a given
      integer seed gives bit-identical initial weights.  The early-stopping
      split (``train_test_split``, stratified for single-output classifiers)
      comes next from the same generator; mini-batch shuffling then uses a
      NumPy ``Generator`` seeded from it.
    * Costs and gradients: ``loss='squared_error'`` (the regressor's default)
      minimises scikit-learn's ``J = (1/N) Σ_k ½|a_k − y_k|² + (α/2N) Σ_l ‖W(l)‖²``
      (the network's cost 'half_squared_error'), ``loss='log_loss'`` the
      cross-entropies plus the same penalty.  On a batch of ``m`` examples the
      output delta is ``∂C/∂Z = (A − Y)/m`` (times ``σ'(Z)`` for a squared
      error after another output activation than the identity) and the L2
      term ``(α/m) W``, exactly scikit-learn's, so with the same
      ``learning_rate_init`` the same steps are taken.
    * ``loss_`` and ``loss_curve_``: the epoch's mean batch cost plus, as
      scikit-learn counts it, the penalty ``(α/2m)‖W‖²`` of every mini-batch
      of ``m`` examples at the weights before its step, weighted by ``m``
      (``(α/2n) Σ_batches ‖W_b‖²`` per epoch).  For ``loss='squared_error'``
      the data part is, as scikit-learn reports it, the mean over examples
      *and outputs* of ``½(a − y)²`` (for ``n_outputs_ > 1`` that is ``J``'s
      data part divided by ``n_outputs_``; the gradient stays that of
      ``½|a − y|²`` summed over the outputs, as scikit-learn's is), so
      tol-based stopping happens at the same epochs.
    * Stopping: an epoch counts as no improvement when the training loss is
      ``> best_loss_ − tol`` (or, with ``early_stopping``, the validation
      score is ``< best_validation_score_ + tol``); after more than
      ``n_iter_no_change`` of them in a row training stops (with
      ``solver='sgd', learning_rate='adaptive'`` the rate is divided by 5
      first, until it falls to 1e-6).  ``invscaling`` sets
      ``η = η₀ / (t_ + 1)^power_t`` after each epoch, ``t_`` counting
      examples seen.  A :class:`~sklearn.exceptions.ConvergenceWarning` is
      issued when ``max_iter`` epochs end without stopping.
    * ``loss='poisson'`` (the regressor): half the Poisson deviance with an exp
      output layer, scikit-learn's, step for step.
    * ``sample_weight`` in ``fit`` and ``partial_fit``: each mini-batch's cost is
      the weighted mean ``Σ s_k C_k / Σ s_k`` and its L2 term ``(α/2Σ s_k) Σ W²``
      (the training engine's weighting, :func:`chainrule.train.batches.batch_terms`),
      ``loss_`` counts each batch's mean once per row, and early stopping splits the
      weights with the rows and weights its validation score, as scikit-learn does.
    * Divergence with ``early_stopping=True``: scikit-learn 1.9 keeps
      training with NaN validation scores, then restores the weights of the best
      validation score and returns; chainrule stops at the first non-finite cost,
      records that epoch's loss and validation score as NaN, restores the same
      best weights and returns with a :class:`~sklearn.exceptions.ConvergenceWarning`
      saying so.
    * ``sklearn.set_config(array_api_dispatch=True)``: PyTorch tensors and CuPy
      arrays are trained on and answered in where they live, as scikit-learn's
      array-API estimators do (:mod:`.arrays`); ``array_api_support`` is in the
      tags of the step solvers (L-BFGS runs in SciPy, on the host, and is refused
      on tensors by name).  With the switch off a CPU tensor is converted to NumPy.

What differs
    * ``loss='squared_error_no_half'`` (both estimators) minimises the exercise's
      cost ``C = (1/N) Σ_k |a_k − y_k|²``, without scikit-learn's ½ (the
      network's cost 'squared_error').  The penalty is doubled with it, so
      ``J = C + (α/N) Σ W²`` is exactly twice scikit-learn's objective (for
      one output): the same minimiser, ``loss_`` and ``loss_curve_`` twice as
      large (and summed over the outputs, not averaged), and with
      ``solver='sgd'`` steps twice as long for the same ``learning_rate_init``
      (Adam's steps do not depend on the scale).
    * Divergence without early stopping stops at once with
      :class:`~chainrule.DivergenceError` (a ``ValueError``, with scikit-learn's
      message first) and keeps the last weights whose cost was finite;
      scikit-learn finishes its epochs and then raises ``ValueError`` on
      non-finite weights.
    * Long L-BFGS runs are not reproduced to the last digit.  The first tens
      of iterations agree with scikit-learn to ~1e-12, but rounding differences
      (the order in which sums are taken) grow as L-BFGS goes on: on the diabetes
      data (a 50-unit layer) ``loss_`` is 1e-14 apart after 20 iterations, 1e-5
      after 100 and several per cent after 200, and scikit-learn drifts as far
      from itself when the rows are merely reversed.  Both reach fits of the same
      quality, not the same weights.
    * L-BFGS with several outputs: scikit-learn hands SciPy the per-output
      mean as the value but the gradient of the sum over the outputs;
      chainrule minimises ``J`` with its own gradient and only *reports*
      ``loss_`` per output, so such fits may take other iterations (with one
      output the two are the same).
    * float32 predictions depend on how many rows are predicted together, by
      up to about 3 ε₃₂ ≈ 3.6e-7 relative: BLAS rounds a row's float32
      matrix product differently with the number of rows sharing the GEMM
      (and NumPy uses a matrix-vector product for one row).  scikit-learn's
      ``check_methods_subset_invariance`` compares with an absolute 1e-7,
      which float32 outputs of size ~1 cannot meet; our tests run the same
      check with a float32 tolerance instead.  float64 differs by ~1e-16.
    * Extra options: ``activation`` may also be 'leaky_relu' or 'softplus';
      ``output_activation`` replaces the output layer's σ (e.g. the exercise's
      'tanh' for a regressor, 'logistic' one-vs-rest outputs for a multiclass
      classifier); ``dtype`` ('float64' or 'float32') sets the precision of the
      weights and of the arithmetic whatever the input's; ``learning_rate_``
      is η after the schedule's changes; the classifier's ``loss`` may also be
      'squared_error' (``½|a − y|²`` on the one-hot targets) or
      'squared_error_no_half' (``|a − y|²``, as above).
"""

from . import arrays, base, classifier, hyperparameters, regressor
from .classifier import MLPClassifier
from .regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
