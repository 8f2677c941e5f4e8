"""Many runs: a sweep spec expanded into jobs (:mod:`.spec`), run by an engine
(:mod:`.engine`: in-process, joblib/loky or Dask) into a resumable store of one Parquet file
per job (:mod:`.store`) in a folder or at a URL (:mod:`.locations`), read back as one long
table by :func:`load_results` (:mod:`.results`)."""

from .engine import SweepReport, sweep
from .spec import Job, SpecError, expand
from .results import best_configs, load_results

__all__ = ["sweep", "SweepReport", "expand", "Job", "SpecError", "load_results", "best_configs"]
