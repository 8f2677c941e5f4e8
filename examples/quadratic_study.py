"""
Quadratic study: AM-MGD against fixed momentum, and the spectral rate against the measured one
===============================================================================================

On a random convex quadratic (κ = 1e3), momentum gradient descent (MGD, the EMA form of
AM Eq. 1) runs with a grid of fixed β as one batched program, and AM-MGD chooses its β_t
at every step from the closed form of AM Eq. 12. The spectral rate of each fixed β
(``amt.theory.spectral_rate``) is then set against the rate measured on the runs.

Run it as a script (``python examples/quadratic_study.py``), or download it as a Jupyter
notebook from the bottom of its gallery page.
``AMTOOLKIT_EXAMPLES_SMALL=1`` runs a small version (the docs build and the tests do).
"""

# %%
# The problem: ½xᵀAx + bᵀx with eigenvalues log-spaced in [1/κ, 1], so L = 1 and the
# step size 1/L is 1.
import os

import numpy as np

import amtoolkit as amt
from amtoolkit import optimizers as O

SMALL = os.environ.get("AMTOOLKIT_EXAMPLES_SMALL") == "1"
DIM, STEPS = (20, 300) if SMALL else (100, 3000)
problem = amt.Quadratic.random(dim=DIM, cond=1e3, seed=0)
eigenvalues = np.linalg.eigvalsh(problem.A)
lr = 1.0 / problem.smoothness

# %%
# MGD with five fixed β runs as one batched run (one row per configuration in the
# History); AM-MGD chooses β_t at every step (λ = 0, β clipped to [0, 0.99]).
betas = np.array([0.0, 0.5, 0.9, 0.95, 0.99])
fixed = amt.run(O.mgd(lr=lr, beta=betas), problem, STEPS)
am = amt.run(O.am_mgd(lr=lr, lam=0.0, beta_max=0.99), problem, STEPS)
ax = fixed.plot(y="gap")
am.plot(y="gap", ax=ax, color="k", label="AM-MGD")
ax.legend()

# %%
# The spectral rate (the largest spectral radius of the per-eigenvalue iteration
# matrix) predicts the per-step contraction of the error; the measured rate is fitted
# on the last third of each run.
spectral = [float(amt.theory.spectral_rate("mgd", lr, beta, eigenvalues)) for beta in betas]
measured = amt.theory.measured_rate(fixed, window=STEPS // 3)  # one value per run
for beta, s, m in zip(betas, spectral, np.ravel(measured)):
    print(f"β = {beta:<5g} spectral rate {s:.5f}   measured {m:.5f}")

# %%
# The β_t that AM-MGD chose: it ramps up from 0 and stays near the cap.
print(f"AM-MGD final gap {am.final()['gap'].iloc[0]:.3e}, mean β_t {am.frame['beta'].mean():.3f}")
am.plot(y="beta", logy=False)
