"""Pure math of the two-plane proximal model (no I/O)."""

from . import two_plane
from .two_plane import (beta_star, beta_star_from_gap, clip_beta, direction, dual_objective,
                        first_order_gap, model_value, prox_objective, step)

__all__ = ["two_plane", "beta_star", "beta_star_from_gap", "clip_beta", "direction",
           "dual_objective", "first_order_gap", "model_value", "prox_objective", "step"]
