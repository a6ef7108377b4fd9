"""Writing dossiers: one HTML page per site, one HTML of all, one PDF, and ``run.json``.

The files of one call are written as a set (:func:`growthzones.fileset.write_set`):
``dossier.pdf``, ``dossier.html`` (every site), ``sites/<NN>-<slug>.html`` (one site
each; the slug from :func:`growthzones.provenance.slugify`, so a site name never makes a
path) and ``run.json``. Chromium prints the PDF from the staged ``dossier.html``; if
printing fails nothing is published.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pandas as pd

from .._errors import BrowserError, InputError
from .content import site_facts
from .page import document, site_page

#: Sites in a dossier by default (picked from the surface).
DEFAULT_TOP = 10
#: Most sites in one dossier (pages of one PDF): beyond this a PDF is hundreds of MB.
MAX_SITES = 1000
#: Seconds Chromium may take per page before it counts as hung (plus a fixed start-up).
PRINT_SECONDS_PER_PAGE = 5.0


def render_dossier(result, sites: pd.DataFrame | None = None, *, top: int = DEFAULT_TOP,
                   stability: pd.DataFrame | None = None, one_page: bool = True
                   ) -> tuple[str, list[tuple[str, str]]]:
    """The dossier as HTML: the whole document and one document per site.

    Parameters
    ----------
    result
        A :class:`~growthzones.ScoreResult`.
    sites
        A site table from :func:`growthzones.rank_sites` or :func:`growthzones.score_sites`
        (every row gets a page, excluded and unscored ones saying why); default the
        ``top`` best places, ``rank_sites(result, top=top)``.
    top
        Sites picked when ``sites`` is None.
    stability
        A :func:`growthzones.rank_stability` table of these sites (optional).
    one_page
        Fit each site on one A4 page (True), or let a long page flow on.

    Raises
    ------
    InputError
        ``sites`` is not a site table, has no rows or more than :data:`MAX_SITES`.

    Returns
    -------
    html, pages
        The whole document, and ``(name, html)`` per site (``name`` ``"01-teesside"``).
    """
    from ..provenance import slugify
    from ..ranking import _check_result, rank_sites

    _check_result(result)
    if sites is None:
        sites = rank_sites(result, top=top)
    if not isinstance(sites, pd.DataFrame) or not {"name", "score"} <= set(sites.columns):
        raise InputError("sites must be a site table from gz.rank_sites or gz.score_sites "
                         "(columns name, score, ...); e.g. gz.score_sites(result, "
                         "gz.read_sites('my_sites.csv'))")
    if len(sites) == 0:
        raise InputError("sites has no rows; a dossier needs at least one site")
    if len(sites) > MAX_SITES:
        raise InputError(f"a dossier of {len(sites):,} sites would be {len(sites):,} pages; "
                         f"the most is {MAX_SITES:,}: give fewer sites (e.g. the best "
                         f"{MAX_SITES} of ranking.csv)")
    facts = site_facts(result, sites, stability=stability)
    blocks = [site_page(result, f, fit=one_page) for f in facts]
    title = f"Site dossier — {result.scenario.name}"
    width = max(2, len(str(len(facts))))
    pages = [(f"{i + 1:0{width}d}-{slugify(f['name'], max_len=40)}",
              document(f"{f['name']} — {title}", [b], fit=one_page))
             for i, (f, b) in enumerate(zip(facts, blocks))]
    return document(title, blocks, fit=one_page), pages


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *,
              pages: int = 1) -> Path:
    """Print an HTML file to an A4 PDF with headless Chromium (no header or footer).

    Raises
    ------
    BrowserError
        Chromium is missing, fails, or writes no PDF.
    """
    from ..maps._browser import _run_chromium

    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    _run_chromium(["--no-pdf-header-footer", "--virtual-time-budget=3000",
                   f"--print-to-pdf={pdf_path}", html_path.as_uri()],
                  timeout=60.0 + PRINT_SECONDS_PER_PAGE * pages)
    if not pdf_path.is_file() or pdf_path.read_bytes()[:5] != b"%PDF-":
        raise BrowserError(f"chromium wrote no PDF of {html_path}; open the page in a "
                           f"browser to check that it loads")
    return pdf_path


def write_dossiers(result, sites: pd.DataFrame | None, folder: str | os.PathLike, *,
                   top: int = DEFAULT_TOP,
                   stability: pd.DataFrame | None = None, one_page: bool = True,
                   pdf: bool = True, provenance=None, log=sys.stderr) -> list[Path]:
    """Write the dossier of ``sites`` into ``folder``, all files or none.

    Parameters
    ----------
    result, sites, top, stability, one_page
        As :func:`render_dossier` (``sites=None``: the ``top`` best places).
    folder
        The output folder (created; files of other commands in it are kept).
    pdf
        Also print ``dossier.pdf`` with headless Chromium (A4, one page per site).
    provenance
        A function ``files -> dict`` giving ``run.json`` (the command line passes its
        record); default :func:`growthzones.provenance.run_record` of the result's
        scenario and store with command ``"dossier"``.
    log
        Where to say what was cleaned up (None: silent).

    Returns
    -------
    list of pathlib.Path
        The files written, in ``folder``.

    Raises
    ------
    InputError
        ``sites`` is not a site table, has no rows or more than :data:`MAX_SITES`.
    OutputError
        ``folder`` cannot be written.
    BrowserError
        ``pdf`` and Chromium fails (nothing is written then).
    """
    from ..fileset import check_out_folder, write_set
    from ..provenance import exclusion_layers, run_record, write_record

    folder = Path(folder)
    check_out_folder(folder)
    html, pages = render_dossier(result, sites, top=top, stability=stability,
                                 one_page=one_page)
    if provenance is None:
        def provenance(files):
            return run_record(command="dossier", argv=None, scenarios=result.scenario,
                              store=result.store, files=files,
                              extra_layers=exclusion_layers(result.store))
    names = ["dossier.html", *(f"sites/{n}.html" for n, _ in pages)]
    with write_set(folder, log=log) as staged:
        # a new dossier replaces the pages of an older one (fewer sites: none left over)
        shutil.rmtree(staged.root / "sites", ignore_errors=True)
        staged.write_text("dossier.html", html)
        for name, text in pages:
            staged.write_text(f"sites/{name}.html", text)
        if pdf:
            print_pdf(staged.root / "dossier.html", staged.path("dossier.pdf"),
                      pages=len(pages))
            names.append("dossier.pdf")
        write_record(staged, provenance(names))
    return [folder / n for n in [*names, "run.json"]]
