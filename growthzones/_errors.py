"""Errors that a user can fix. The CLI prints them as one line and exits 2.

Every error names the thing, the value and the fix. Each subclasses a built-in as well
(``ValueError``, ``FileNotFoundError``, ``OSError``, ...) so that code written against the
built-ins keeps working.
"""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """Any exception as one line of text (its message, else its type), to quote in ours."""
    return " ".join(str(exc).split()) or type(exc).__name__


class GrowthZonesError(Exception):
    """Base class for problems with the user's input, files or data."""

    def one_line(self) -> str:
        """The whole error on one line, for the CLI."""
        return " ".join(str(self).split())


class ScenarioError(GrowthZonesError, ValueError):
    """A scenario file or override is invalid; the message lists every problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        head = f"scenario {source!r} has {n} problem{'s' if n != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))

    def one_line(self) -> str:
        """The whole error on one line, for the CLI."""
        return f"scenario {self.source!r}: " + "; ".join(self.problems)


class InputError(GrowthZonesError, ValueError):
    """An argument (a CLI flag or a Python API parameter) has an unusable value or type."""


class LayerStoreError(GrowthZonesError, FileNotFoundError):
    """The layer store is missing, incomplete, corrupt or built on another grid."""


class SourceDataError(GrowthZonesError, FileNotFoundError):
    """A raw source file needed to build a layer is missing or unreadable."""


class MissingSourceError(SourceDataError):
    """A raw source file is not in the source folder (the build records its layers as absent)."""


class FetchError(GrowthZonesError, OSError):
    """A source could not be downloaded or failed its checksum; names the source and URL."""


class SitesError(GrowthZonesError, ValueError):
    """A user's candidate-site file cannot be used."""


class OutputError(GrowthZonesError, OSError):
    """An output folder or file cannot be written (not a folder, read-only, disk full)."""


class ResultError(GrowthZonesError, ValueError):
    """A scoring result cannot give what was asked (e.g. every cell is excluded)."""


class BrowserError(GrowthZonesError, RuntimeError):
    """Headless Chromium is missing or could not render a page."""
