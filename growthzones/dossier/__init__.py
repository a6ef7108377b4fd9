"""Site dossiers: one A4 page per site, as HTML and PDF (``growthzones dossier``).

- :mod:`~growthzones.dossier.content`: what a page says, as data (pure);
- :mod:`~growthzones.dossier.inset`: the offline inset map (inline SVG);
- :mod:`~growthzones.dossier.page`: the HTML of a page;
- :mod:`~growthzones.dossier.write`: :func:`render_dossier`, :func:`write_dossiers`
  (the files, the PDF printed by headless Chromium, ``run.json``);
- :mod:`~growthzones.dossier.command`: the command line.
"""

from .write import DEFAULT_TOP, print_pdf, render_dossier, write_dossiers

__all__ = ["DEFAULT_TOP", "print_pdf", "render_dossier", "write_dossiers"]
