"""Shared fixtures."""

from eutils_server import eutils_server  # noqa: F401  (re-exported fixture)
