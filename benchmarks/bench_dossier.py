"""How long a dossier of the top N sites takes and how big it is, on the embedded store.

Run from the repository root::

    python benchmarks/bench_dossier.py              # top 10, 3 runs
    python benchmarks/bench_dossier.py --top 20 --runs 5

Prints the median wall time of building the HTML (``render_dossier``: facts, inset maps,
pages) and of the whole ``write_dossiers`` (HTML, headless-Chromium PDF, run.json, one set),
the PDF's size and page count, and the load average before and after (the machine may be
shared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import load_average, median_time

import growthzones as gz


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    print(f"load average before: {load_average()}")
    result = gz.score(gz.load_layers(), gz.load_scenario())
    sites = gz.rank_sites(result, top=args.top)
    folder = Path(tempfile.mkdtemp(prefix="bench-dossier-")) / "dossier"
    t_html = median_time(lambda: gz.render_dossier(result, sites), args.runs)
    t_all = median_time(lambda: gz.write_dossiers(result, sites, folder, log=None), args.runs)
    pdf = folder / "dossier.pdf"
    try:
        import pypdf

        pages = len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:  # a dev dependency
        pages = "?"
    print(f"top {args.top}: HTML {t_html:.2f} s; HTML + PDF + run.json {t_all:.2f} s; "
          f"dossier.pdf {pdf.stat().st_size / 1e6:.2f} MB, {pages} pages; dossier.html "
          f"{(folder / 'dossier.html').stat().st_size / 1e6:.2f} MB")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
