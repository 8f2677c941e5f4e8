"""Optimizers as (init, update) pairs over an explicit state, and their registry.

``get(name, **hyper)`` builds a registered optimizer; each is also a function
(``amtoolkit.optimizers.mgd(lr=0.1, beta=0.9)``).
"""

from . import schedules
from .adamw import adamw
from .adaptive_memory import am_adamw, am_mgd, am_msgd
from .base import Optimizer, OptState, available, get, register, signature_help
from .classic import gd, heavy_ball, mgd, nag, sgd
from .rllc import memory_lstsq, rllc

__all__ = ["Optimizer", "OptState", "available", "get", "register", "signature_help", "schedules",
           "gd", "heavy_ball", "mgd", "sgd", "nag", "adamw", "am_mgd", "am_msgd", "am_adamw", "rllc", "memory_lstsq"]
