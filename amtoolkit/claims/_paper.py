"""The one place where the claims ledger imports the paper's convex protocol.

Everything the ledger needs from ``amtoolkit reproduce convex`` (AM Sec. 4.1 / Figure 3:
λ = 0, step 1/L, β tuned for MGD on a 20-point grid, AM-MGD judged at β_max = 1, the
common budget T) comes through this module, so that if the protocol moves only the import below changes.
"""

from __future__ import annotations

from ..reproduce.convex import FLOOR, GRID, ROUND_OFF, _compare, default_datasets  # noqa: F401

__all__ = ["FLOOR", "GRID", "ROUND_OFF", "paper_row", "default_datasets"]


def paper_row(problem, name: str, reg: float, max_steps: int) -> dict:
    """One row of the paper's protocol (``reproduce convex``'s table) on ``problem``:
    the budget ``steps``, ``beta_star``, the final gaps ``gap GD``, ``gap MGD 0.9``,
    ``gap MGD β*``, ``gap AM-MGD 1`` (and β_max 0.9 / 0.99), the steps to a 1e-6 relative
    gap, and the outcomes ``vs 0.9`` / ``vs β*`` (win / par / loss / tie)."""
    row, _ = _compare(problem, name, reg, max_steps, False)
    return row
