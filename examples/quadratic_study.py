# %% [markdown]
# # Quadratic study: AM-MGD against fixed β, and the spectral rate against the measured one
#
# Open as a notebook with `jupytext --to notebook quadratic_study.py`, or run it as a script.
# `AMTOOLKIT_EXAMPLES_SMALL=1` runs a small version (the test suite does).

# %%
import os

import numpy as np

import amtoolkit as amt
from amtoolkit import optimizers as O

SMALL = os.environ.get("AMTOOLKIT_EXAMPLES_SMALL") == "1"
DIM, STEPS = (20, 300) if SMALL else (100, 3000)
problem = amt.Quadratic.random(dim=DIM, cond=1e3, seed=0)
eigenvalues = np.linalg.eigvalsh(problem.A)
lr = 1.0 / problem.smoothness

# %% [markdown]
# MGD with a grid of fixed β runs as one batched program; AM-MGD chooses β_t at every step (AM Eq. 12).

# %%
betas = np.array([0.0, 0.5, 0.9, 0.95, 0.99])
fixed = amt.run(O.mgd(lr=lr, beta=betas), problem, STEPS)
am = amt.run(O.am_mgd(lr=lr, lam=0.0, beta_max=0.99), problem, STEPS)
ax = fixed.plot(y="gap")
am.plot(y="gap", ax=ax, color="k", label="AM-MGD")
ax.legend()

# %% [markdown]
# The spectral rate (largest spectral radius of the per-eigenvalue iteration matrix) predicts the
# per-step contraction of the gap; the measured rate is fitted on the tail of each run.

# %%
spectral = [float(amt.theory.spectral_rate("mgd", lr, beta, eigenvalues)) for beta in betas]
measured = amt.theory.measured_rate(fixed, window=STEPS // 3)  # one value per run
for beta, s, m in zip(betas, spectral, np.ravel(measured)):
    print(f"β = {beta:<5g} spectral rate {s:.5f}   measured {m:.5f}")

# %%
print(f"AM-MGD final gap {am.final()['gap'].iloc[0]:.3e}, mean β_t {am.frame['beta'].mean():.3f}")
am.plot(y="beta")
