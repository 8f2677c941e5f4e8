"""
LIBSVM study: a small sweep, its results table, and the best configuration per method
=====================================================================================

A sweep of MGD (three fixed β) and AM-MSGD (three λ) with minibatches on a LIBSVM
logistic regression (reg = 1e-3), three seeds, stored as one Parquet file per
(problem, optimizer, seed) and read back as one long table.

Needs the LIBSVM files: set ``AMTOOLKIT_DATA`` to the folder that holds them (or let
amtoolkit download them). ``AMTOOLKIT_EXAMPLES_SMALL=1`` runs a small version on a1a
(the docs build and the tests do); the full version runs a9a.
"""

# %%
# The sweep's spec: a dict with the same structure as a TOML spec file.
import os
import tempfile

import amtoolkit as amt

SMALL = os.environ.get("AMTOOLKIT_EXAMPLES_SMALL") == "1"
DATASET = "a1a" if SMALL else "a9a"
spec = {
    "sweep": {"steps": 60 if SMALL else 1000, "seeds": [0, 1, 2], "batch_size": 64},
    "problems": [{"name": DATASET, "reg": 1e-3}],
    "optimizers": [
        {"name": "mgd", "lr": "1/L", "beta": [0.5, 0.9, 0.99]},
        {"name": "am_msgd", "lr": "1/L", "lam": [0.01, 0.1, 1.0], "beta_max": 0.9},
    ],
}

# %%
# One Parquet file per (problem, optimizer, seed); running the cell again runs nothing
# new (the sweep resumes from its store).
store = os.environ.get("AMTOOLKIT_EXAMPLE_STORE") or tempfile.mkdtemp(prefix="amtoolkit-sweep-")
report = amt.sweep(spec, out=store, jobs=1 if SMALL else 2, progress=False)
frame = amt.load_results(store)
print(frame.groupby(["method", "seed"]).size())

# %%
# Per method, the configuration with the best median final gap, with the min–max band
# over the seeds.
ax = amt.plot_results(frame, y="gap")
ax.set_title(f"{DATASET}: best configuration per method, 3 seeds")

# %%
# The β_t that AM-MSGD chose for each λ (seed 0).
am = amt.load_results(store, method="am_msgd")
amt.plot(am[am["seed"] == 0], y="beta", hue="hp_lam", logy=False)
