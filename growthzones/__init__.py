"""growthzones: find and rank places in Great Britain for AI Growth Zones.

Typical use::

    import growthzones as gz
    layers = gz.load_layers()                      # the embedded 1 km layer store
    scenario = gz.load_scenario()                  # the built-in "default" scenario
    result = gz.score(layers, scenario)            # pure and fast
    sites = gz.rank_sites(result, top=20)
    gz.render_map(result, sites)                   # folium.Map
    later = gz.score(layers, scenario, network_year=2035)   # the grid of ETYS 2035/36
    gz.compare_network_years(layers, scenario, 2025, 2035)  # who gains, and why

The names below are the public API, imported plainly (so ``dir(gz)`` and editors see
them). Importing the package loads numpy and pandas; folium, geopandas, rasterio, scipy
and xarray are imported inside the functions that need them. Everything else lives in
its module (``growthzones.scoring``, ``growthzones.ranking``, ``growthzones.stability``,
...).
"""

from ._errors import (
    BrowserError,
    GrowthZonesError,
    InputError,
    LayerStoreError,
    OutputError,
    ResultError,
    ScenarioError,
    SitesError,
    SourceDataError,
)
from ._version import __version__
from .areas import Area, select_area
from .build import build_store
from .compare import compare_network_years, compare_scenarios
from .criteria import REGISTRY, Criterion
from .dossier import render_dossier, write_dossiers
from .grid import BNG, GridSpec
from .maps import map_html, render_map, save_map, screenshot
from .outputs import write_outputs
from .ranking import rank_sites, top_sites
from .scenario import Scenario, ahp_weights, load_scenario, parse_scenario
from .scoring import (
    ScoreResult,
    explain,
    explain_sites,
    score,
    score_dataset,
    store_dataset,
)
from .sites import read_sites, score_sites
from .stability import rank_stability, sweep_weights, tornado
from .store import LayerStore, load_layers
from .timeline import site_timeline

__all__ = [
    "BNG", "REGISTRY", "Area", "BrowserError", "Criterion", "GridSpec", "GrowthZonesError",
    "InputError", "LayerStore", "LayerStoreError", "OutputError", "ResultError", "Scenario",
    "ScenarioError", "ScoreResult", "SitesError", "SourceDataError", "__version__",
    "ahp_weights", "build_store", "compare_network_years", "compare_scenarios", "explain",
    "explain_sites",
    "load_layers", "load_scenario", "map_html", "parse_scenario", "rank_sites",
    "rank_stability", "read_sites", "render_dossier", "render_map", "save_map", "score",
    "score_dataset", "score_sites", "screenshot", "select_area", "site_timeline",
    "store_dataset", "sweep_weights", "top_sites", "tornado", "write_dossiers", "write_outputs",
]
