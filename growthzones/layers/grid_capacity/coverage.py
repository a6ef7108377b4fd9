"""The figures the grid-capacity criteria's coverage texts quote, from the theme's features."""

from __future__ import annotations


def counts(features: dict, tallies: dict | None = None) -> dict[str, dict]:
    """The figures the grid criteria's coverage texts quote, from :func:`read` output
    (:meth:`growthzones.criteria.Criterion.coverage_text`). ``tallies`` is unused: no
    figure here counts cells."""
    fig, tec = features["figures"], features["tec"]
    queued = tec[f"queued_mw_{features['snapshot']}"]
    total = float(queued.sum())
    placed = tec["x"].notna()
    site = tec["connection_site"].fillna("").astype(str)
    node = ~placed & site.str.contains("connection node", case=False)
    offshore = ~placed & ~node & site.str.contains("offshore", case=False)
    rest = queued[~placed & ~node & ~offshore & (queued > 0)]
    rest = rest.groupby(site[rest.index].map(_site_label)).sum().sort_values(
        ascending=False, kind="stable")

    def pct(mask) -> int:
        return round(100 * float(queued[mask].sum()) / total) if total else 0

    return {"dist_substation_132kv_km": dict(fig["sites"]),
            "dist_transmission_km": dict(fig["sites"]),
            "dist_transmission_line_km": {"north_lat": fig["lines_north_lat"]},
            "tec_queue_mw": {"placed_pct": pct(placed), "queued_gw": round(total / 1000),
                             "node_pct": pct(node), "offshore_pct": pct(offshore),
                             "examples": ", ".join(rest.index[:3])},
            "retired_capacity_mw": dict(fig["retired"])}


def _site_label(name: str) -> str:
    """A TEC connection-site name without its voltage and 'Substation' tail.

    >>> _site_label("Navenby 400kV Substation")
    'Navenby'
    """
    import re

    return re.split(r"\s+\d+(?:/\d+)*\s*kV", name, maxsplit=1, flags=re.I)[0].strip()

