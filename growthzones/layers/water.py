"""Water for cooling: proxies for where a campus could get cooling water.

No layer in the shared data measures water actually available to a 500 MW campus
(EA CAMS Q95 availability and water-company supply areas are missing; see
``catalog.toml`` gaps), so criteria here are proxies and say so.
"""

from __future__ import annotations

import numpy as np

from ..catalog import SourceFiles
from ..grid import GridSpec

CRITERIA: dict = {}


def build(sources: SourceFiles, grid: GridSpec, base) -> dict[str, np.ndarray]:
    return {}
