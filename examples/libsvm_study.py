# %% [markdown]
# # LIBSVM study: a small sweep, its results table, and the best configuration per method
#
# Needs the LIBSVM files (set `AMTOOLKIT_DATA`, or let amtoolkit download them).
# `AMTOOLKIT_EXAMPLES_SMALL=1` runs a small version (the test suite does).

# %%
import os
import tempfile

import amtoolkit as amt

SMALL = os.environ.get("AMTOOLKIT_EXAMPLES_SMALL") == "1"
DATASET = "breast_cancer" if SMALL else "a9a"
spec = {
    "sweep": {"steps": 60 if SMALL else 1000, "seeds": [0, 1, 2], "batch_size": 64},
    "problems": [{"name": DATASET, "reg": 1e-3}],
    "optimizers": [
        {"name": "mgd", "lr": "1/L", "beta": [0.5, 0.9, 0.99]},
        {"name": "am_msgd", "lr": "1/L", "lam": [0.01, 0.1, 1.0], "beta_max": 0.9},
    ],
}

# %% [markdown]
# One Parquet file per (problem, optimizer, seed); running the cell again runs nothing new.

# %%
store = os.environ.get("AMTOOLKIT_EXAMPLE_STORE") or tempfile.mkdtemp(prefix="amtoolkit-sweep-")
amt.sweep(spec, out=store, jobs=2)
frame = amt.load_results(store)
print(frame.groupby(["method", "seed"]).size())

# %% [markdown]
# Per method, the configuration with the best median final gap, with the min–max band over seeds.

# %%
ax = amt.plot_results(frame, y="gap")
ax.set_title(f"{DATASET}: best configuration per method, 3 seeds")

# %%
am = amt.load_results(store, method="am_msgd")
amt.plot(am[am["seed"] == 0], y="beta", hue="hp_lam", logy=False)
