"""growthzones: find and rank places in Great Britain for AI Growth Zones.

Typical use::

    import growthzones as gz
    layers = gz.load_layers()                      # the embedded 1 km layer store
    scenario = gz.load_scenario()                  # the built-in "default" scenario
    result = gz.score(layers, scenario)            # pure and fast
    sites = gz.rank_sites(result, top=20)
    gz.render_map(result, sites)                   # folium.Map
"""

from ._version import __version__

from ._errors import (GrowthZonesError, LayerStoreError, ScenarioError, SitesError,  # noqa: E402
                      SourceDataError)
from .grid import BNG, GridSpec  # noqa: E402
from .criteria import REGISTRY, Criterion  # noqa: E402
from .store import LayerStore, build_store, load_layers  # noqa: E402

_LAZY = {
    "load_scenario": "scenario", "Scenario": "scenario", "parse_scenario": "scenario",
    "score": "scoring", "ScoreResult": "scoring", "explain": "scoring",
    "rank_sites": "sites", "read_sites": "sites",
    "score_sites": "sites",
    "render_map": "maps", "save_map": "maps", "map_html": "maps", "screenshot": "maps",
    "top_sites": "sites", "rank_stability": "ranking", "sweep_weights": "ranking",
    "tornado": "ranking", "compare_scenarios": "compare", "ahp_weights": "scenario",
    "explain_sites": "scoring", "score_dataset": "scoring", "store_dataset": "scoring",
}


def __getattr__(name):
    # Lazy so that importing the package (or one module) stays cheap and robust.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'growthzones' has no attribute {name!r}")


__all__ = ["BNG", "Criterion", "GridSpec", "GrowthZonesError", "LayerStore", "LayerStoreError",
           "REGISTRY", "ScenarioError", "SitesError", "SourceDataError", "build_store",
           "load_layers", *_LAZY]
