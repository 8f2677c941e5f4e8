"""The paper figures: a registry of named figures (:data:`FIGURES`), each computed once
into a cached table and drawn by :mod:`amtoolkit.plotting`; :func:`build` is the only
function that builds a paper figure (``amtoolkit figures`` and ``amtoolkit reproduce
convex`` both call it)."""

from .figureset import FIGURES, Figure, FiguresFailed, build

__all__ = ["FIGURES", "Figure", "FiguresFailed", "build"]
