"""Linear memory propagators of RLLC (pure math, no I/O)."""

from .propagators import (LinearMemory, change_basis, complex_block, complex_jordan, direct_sum,
                          impulse_response, jordan, momentum, parse_memory, real_jordan_form)

__all__ = ["LinearMemory", "momentum", "jordan", "complex_block", "complex_jordan", "direct_sum",
           "change_basis", "real_jordan_form", "impulse_response", "parse_memory"]
