"""The papers' protocols, run as they are printed: the convex experiments of AM Sec. 4.1
and Fig. 1/3 (:mod:`.convex`), the main job ``amtoolkit demo`` (:mod:`.demo`), and the
checks of AM Theorems 3.3/3.4 against runs (:mod:`.theorems`). The figures they feed are
built in :mod:`amtoolkit.figures`."""

from .convex import reproduce_convex
from .theorems import check_theorem_3_3, check_theorem_3_4

__all__ = ["reproduce_convex", "check_theorem_3_3", "check_theorem_3_4"]
