"""Post-industrial status: places where the government wants investment.

Deprivation is taken from mySociety's composite UK index, which re-scores Wales and
Scotland against the English model so that small areas in all three nations compare
(the national indices' ranks cannot be compared across nations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog import SourceFiles
from ..grid import GridSpec
from . import Criterion

CRITERIA = {
    "employment_deprivation_pct": Criterion(
        name="employment_deprivation_pct", layer="post_industrial",
        title="Employment deprivation", unit="% of working-age people", direction="max",
        description="Share of working-age people involuntarily out of work in the cell's "
                    "LSOA (England, Wales) or Data Zone (Scotland), from the composite UK "
                    "IMD's employment score: a signal of labour slack left by lost industry.",
        sources=("uk_composite_imd",),
        coverage="GB: every LSOA and Data Zone (England IoD2019, Wales WIMD2019, "
                 "Scotland SIMD2020v2)."),
}


def read_composite_imd(path) -> pd.DataFrame:
    """The composite UK IMD for GB small areas (Northern Ireland dropped), indexed by code."""
    df = pd.read_csv(path, dtype={"lsoa": str})
    return df[df["nation"].isin(["E", "W", "S"])].set_index("lsoa")


def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    imd = read_composite_imd(sources.path("uk_composite_imd"))
    return {"employment_deprivation_pct": base.map_values(imd["employment_score"])}
