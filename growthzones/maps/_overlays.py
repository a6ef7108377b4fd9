"""The map's raster overlays, made in a thread pool: :class:`_Overlays`.

Every overlay lies on the scoring grid and shares one reprojection index
(:attr:`~growthzones.maps.raster._MercatorWarp.gather`). The score, the excluded land and
the exclusion layers become indexed PNGs (:func:`_overlay_url`); the criterion surfaces,
hidden until chosen, travel as deflated palette codes on the land vector and the page
draws them on first show (:func:`_lazy_script`, :data:`~growthzones.maps.raster.LAZY_OVERLAY_JS`).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Self

import numpy as np

from ..cache import store_sources
from ._cached import cached_part
from ._elements import _BASE64, _elements
from ._text import _js_json
from .raster import LAZY_OVERLAY_JS, _mask_index, _mask_palette, _MercatorWarp, _png_indexed


class _Overlays:
    """Image overlays of palette-index rasters on ``warp.grid``, made in a thread pool.

    ``add(make_index, palette, ...)`` hands one overlay to a worker, which calls
    ``make_index()`` for the raster (the palette's transparent entry is nodata; it may
    return ``(raster, info)``, info kept for the legend), so no raster waits in the
    queue: at 100 m each is 90 MB. After the ``with`` block, ``layers()`` gives the
    overlay elements in the order added (and raises what a worker raised). Two
    workers: the machine this was tuned on has two cores, and each worker holds one
    layer in memory.

    The shared reprojection index is the pool's first job: the jobs that need it wait
    for it, the others (the lazily drawn surfaces' codes, the identify data) and the
    caller's own work do not.
    """

    def __init__(self, warp: _MercatorWarp):
        self.warp = warp
        self._jobs: list = []

    def __enter__(self) -> Self:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1),
                                        thread_name_prefix="gz-overlay")
        # built once, by one worker (not raced for by the others)
        self._gather = self._pool.submit(lambda: self.warp.gather)
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)

    def add(self, make_index: Callable[[], np.ndarray | tuple], palette: np.ndarray, *,
            name: str, show: bool, opacity: float, ready=None) -> None:
        """``ready``: a future of what the job would return, made ahead
        (:func:`~growthzones.maps._prepare.prepare_map`), used instead."""
        kw = {"name": name, "show": show, "opacity": opacity}
        if ready is not None:
            self._jobs.append((ready, kw))
            return

        def work():
            made = make_index()
            index, info = made if isinstance(made, tuple) else (made, None)
            self._gather.result()
            return _overlay_url(self.warp, index, palette), info

        self._jobs.append((self._pool.submit(work), kw))

    def add_lazy(self, make_codes: Callable[[], tuple], *, name: str, show: bool,
                 opacity: float, ready=None) -> None:
        """An overlay the page draws itself on first show, in viridis:
        ``make_codes()`` gives ``(its codes, info)`` (:func:`~growthzones.maps.raster._land_codes`);
        ``ready`` as :meth:`add`."""
        self._jobs.append((ready if ready is not None else self._pool.submit(make_codes),
                           {"name": name, "show": show, "opacity": opacity, "lazy": True}))

    def add_mask(self, store, name: str, *, opacity: float, ready=None) -> None:
        """Exclusion layer ``name`` of ``store`` (:func:`_mask_url`), hidden; ``ready`` as
        :meth:`add`."""
        def work():
            self._gather.result()
            return _mask_url(self.warp, store, name)

        self._jobs.append((ready if ready is not None else self._pool.submit(work),
                           {"name": name, "show": False, "opacity": opacity}))

    def submit(self, fn: Callable, *args, gather: bool = False):
        """Any other job for the pool (e.g. the identify data); returns its future.
        ``gather``: the job reads the shared reprojection index (it waits for it)."""
        if not gather:
            return self._pool.submit(fn, *args)

        def work():
            self._gather.result()
            return fn(*args)

        return self._pool.submit(work)

    def layers(self) -> list[tuple]:
        """``[(overlay element, info), ...]``; ``info`` is what ``make_index`` returned
        beside the index (e.g. a stretch), or None."""
        overlay = _elements().ImageOverlay
        out = []
        for job, kw in self._jobs:
            url, info = job.result()
            if kw.get("lazy"):
                kw = {**kw, "lazy": url}
                url = _PLACEHOLDER_URL
            out.append((overlay(url, self.warp.bounds, **kw), info))
        return out


#: The image of a lazily drawn overlay until the page has drawn it: one transparent pixel.
_PLACEHOLDER_URL = "data:image/png;base64," + base64.b64encode(_png_indexed(
    np.zeros((1, 1), np.uint8), np.zeros((1, 4), np.uint8))).decode("ascii")


def _lazy_script(base: dict) -> str:
    """:data:`~growthzones.maps.raster.LAZY_OVERLAY_JS` with the shared data of
    :func:`~growthzones.maps.raster._lazy_base`; its base64 strings placed as they are."""
    blobs = {k: base[k] for k in ("land", "gather")}
    for text in blobs.values():
        if not _BASE64.fullmatch(text):
            raise ValueError("overlay data is not base64")
    rest = _js_json({k: v for k, v in base.items() if k not in blobs}, compact=True)
    data = rest[:-1] + "".join(f',"{k}":"{v}"' for k, v in blobs.items()) + "}"
    return LAZY_OVERLAY_JS.replace("__BASE__", data)


def _mask_url(warp: _MercatorWarp, store, name: str) -> tuple[str, None]:
    """``(data: URL, None)``: exclusion layer ``name`` of ``store`` as a PNG overlay, from
    the cache on disk when the store's files are (:mod:`growthzones.maps._cached`)."""
    return cached_part(store_sources(store, name), f"mask png|{name}", lambda: (
        _overlay_url(warp, _mask_index(store.layer(name)), _mask_palette()), None))


def _overlay_url(warp: _MercatorWarp, index: np.ndarray, palette: np.ndarray) -> str:
    """A palette-index raster on ``warp.grid`` as a ``data:`` URL of a Mercator PNG."""
    nodata = int(np.flatnonzero(palette[:, 3] == 0)[0])
    png = _png_indexed(warp.warp(index, nodata), palette)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
