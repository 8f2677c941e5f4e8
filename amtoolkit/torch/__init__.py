"""PyTorch optimizers: AM-SGD, AM-AdamW (arXiv:2510.04988) and RLLC (arXiv:2402.15262).

``torch.optim.Optimizer`` subclasses whose equations and defaults are those of the NumPy
reference optimizers of :mod:`amtoolkit.optimizers` (``am_msgd``/``am_mgd``, ``am_adamw``,
``rllc``); :mod:`amtoolkit.torch.testing` replays one gradient stream through both and
is what the tests use to hold them equal. Install with ``pip install 'amtoolkit[torch]'``.
"""

try:
    import torch as _torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised by simulating a missing torch
    raise ImportError("amtoolkit.torch needs PyTorch, which is not installed: install the extra "
                      "with pip install 'amtoolkit[torch]' (or pip install torch)") from exc

from ._am import AdaptiveMemoryAdamW, AdaptiveMemorySGD
from ._rllc import RLLC

__all__ = ["AdaptiveMemorySGD", "AdaptiveMemoryAdamW", "RLLC"]
