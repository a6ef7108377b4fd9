"""Errors that a user can fix. The CLI prints them as one line and exits 2."""

from __future__ import annotations


class GrowthZonesError(Exception):
    """Base class for problems with the user's input, files or data."""


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


class LayerStoreError(GrowthZonesError, FileNotFoundError):
    """The layer store is missing, incomplete or built on another grid."""


class SourceDataError(GrowthZonesError, FileNotFoundError):
    """A raw source file needed to build a layer is missing or unreadable."""


class SitesError(GrowthZonesError, ValueError):
    """A user's candidate-site file cannot be used."""
