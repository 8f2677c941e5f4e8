"""``amtoolkit reproduce deep``: the papers' deep-learning claims at the scale of 2 CPU cores.

Needs PyTorch (``amtoolkit[torch]``), so :mod:`amtoolkit.reproduce` does not import it.

A deep-learning *job* is a :class:`DeepJob` (protocol, task, optimizer, hyperparameters,
seed, steps, batch, ...), a task job of the sweep engine (module docstring of
:mod:`amtoolkit.sweeps.engine`): :func:`amtoolkit.sweep` runs a list of them in-process,
on ``jobs`` loky workers or on Dask, each with one torch and one BLAS thread, and stores
each as ``<out>/<key>.parquet`` (``key`` a hash of the job), so a stored job is verified
and read back instead of rerun, a failed or cut job leaves a failure record in
``<out>/_failed/``, and ``amt.load_results(out)`` reads them all. A job's long table has
one row per evaluation: ``step, epoch, train_loss`` (mean of the batch losses since the
previous row), ``test_loss, test_acc, lr, beta_mean, beta_min, beta_max, beta_at_cap`` (AM
optimizers: statistics of β_t over the interval; ``beta_at_cap`` the fraction of steps
with β_t at β_max), ``law_0 … law_{k-1}`` (RLLC: the learning law at that step), ``time``
(seconds since the start), ``diverged``.

The protocols (:data:`PROTOCOLS`) and their claims:

* ``am-4.2`` — AM Sec. 4.2: AM-SGD (β_max 0.9, λ 0.1, never tuned) against
  ``SGD(momentum=0.9, dampening=0.9)`` at the baseline's tuned learning rate and the same
  cosine schedule (two sweeps: the tuning jobs, then the comparison at the chosen lr).
* ``am-4.6`` — AM Sec. 4.6 / Fig. 7: λ grid, batch size at a fixed lr, lr range (the lr is
  am-4.2's tuned one: its tuning sweep, then one sweep of the ablations).
* ``am-4.3`` — AM Sec. 4.3 / Sec. 4.5 Table 6: character LM, AdamW vs AM-AdamW with and
  without warm-up; then AdamW, AM-AdamW, Clip, Reset at the lr where the first two
  separate most (two sweeps).
* ``am-4.4`` — AM Sec. 4.4: time per step and optimizer state bytes (in-process, not a
  sweep: it measures time).
* ``rllc`` — RLLC Figs. 1, 4, 5: SGD, momentum, Adam against four RLLC memories.
* ``rllc-law`` — RLLC Figs. 2-3: the learning-law coefficients over time.

Each claim the protocols test is also written as ``<claims>/deep/<ledger key>.json``
(:data:`CLAIM_FORMAT`: the verdict at this scale, the per-seed paired differences, the
scale and its tier, the command, the amtoolkit version and the fingerprint of the training
code, :func:`amtoolkit.claims.deepcode.deep_fingerprint`), which ``amtoolkit claims`` reads
while it is current (the check ``stored_result`` of :mod:`amtoolkit.claims.checks`). The
fingerprint is not part of a job's key: stored jobs stay valid across edits of the
documentation and of the report code.

The package, one concept per module: :mod:`.jobs` (the data, one training job, the job as
a sweep task, :func:`run_jobs`), :mod:`.protocols` (the protocols, their sizes and the
paired statistics of their verdicts), :mod:`.figures` (the ``dl_*`` figures) and
:mod:`.report` (:func:`reproduce_deep`, the Markdown report, the claim records).
"""

from .jobs import FORMAT, DeepJob, DeepJobsFailed, job_key, run_job, run_jobs
from .protocols import (FULL, PROTOCOLS, QUICK, RLLC_MEMORIES, RUNNERS, DeepResult, Scale, Section, paired,
                        protocol_jobs, verdict)
from .report import CLAIM_FORMAT, CLAIM_KEYS, claim_records, markdown, reproduce_deep

__all__ = ["PROTOCOLS", "DeepJob", "DeepJobsFailed", "run_job", "run_jobs", "job_key", "protocol_jobs",
           "reproduce_deep", "DeepResult", "CLAIM_FORMAT", "CLAIM_KEYS", "FORMAT", "Scale", "QUICK", "FULL",
           "RUNNERS", "RLLC_MEMORIES", "Section", "paired", "verdict", "claim_records", "markdown"]
