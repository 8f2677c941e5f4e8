"""
Theory study: PEPit worst cases against the spectral rate, and the LRP cycle
============================================================================

Heavy ball at Polyak's parameters is the fastest method on quadratics, yet on the whole
class of smooth strongly convex functions its tight worst case (PEPit) can grow with the
number of steps, and on the Lessard–Recht–Packard function it does not converge at all.
``AMTOOLKIT_EXAMPLES_SMALL=1`` runs a small version (the docs build and the tests do).
"""

# %%
# Polyak's tuning of heavy ball for μ = 1, L = 25 (κ = 25).
import os

import numpy as np

import amtoolkit as amt
from amtoolkit import optimizers as O

SMALL = os.environ.get("AMTOOLKIT_EXAMPLES_SMALL") == "1"
MU, L = 1.0, 25.0
lr, beta, _ = amt.theory.polyak_heavy_ball(MU, L)
print(f"Polyak's heavy ball: lr = {lr:.4f}, beta = {beta:.4f}")

# %%
# On quadratics the spectral rate is exact; on the smooth strongly convex class PEPit's
# tight worst case of ‖x_n - x*‖²/‖x_0 - x*‖² can grow with n for the same parameters.
spectral = float(amt.theory.spectral_rate("heavy_ball", lr, beta, np.array([MU, L])))
for n in (2, 4) if SMALL else (2, 4, 8, 12):
    quad = amt.theory.worst_case("heavy_ball", MU, L, lr, beta, n, function_class="quadratic")
    smooth = amt.theory.worst_case("heavy_ball", MU, L, lr, beta, n, function_class="smooth_strongly_convex")
    print(f"n = {n:2d}: spectral rate^(2n) {spectral ** (2 * n):.3e}   PEPit quadratic {quad.value:.3e}"
          f"   PEPit smooth strongly convex {smooth.value:.3e}")

# %%
# The Lessard–Recht–Packard function: heavy ball with η = 1/9, β = 4/9 from x0 = 3.3
# ends in a 3-cycle; the globally convergent heavy ball of Ghadimi et al.
# (η ≤ 1/L, β = √((1-ημ)(1-ηL))) converges.
problem = amt.problems.lrp_counterexample(mu=1, L=25)
steps = 60 if SMALL else 200
cycling = amt.run(O.heavy_ball(lr=1 / 9, beta=4 / 9), problem, steps, x0=np.array([3.3]))
lr_g = 0.5 / L
beta_g, _ = amt.theory.ghadimi_heavy_ball(lr_g, MU, L)
converging = amt.run(O.heavy_ball(lr=lr_g, beta=beta_g), problem, steps, x0=np.array([3.3]))
ax = amt.plot(cycling, y="loss", logy=False, label="heavy ball (1/9, 4/9)")
amt.plot(converging, y="loss", ax=ax, label="globally convergent heavy ball")
ax.legend()
print("last losses of the cycling run:", np.round(cycling.frame["loss"].to_numpy()[-6:], 4))
