"""Shared fixtures."""

import pytest
from europepmc_server import europepmc_server  # noqa: F401  (re-exported fixture)
from eutils_server import eutils_server  # noqa: F401  (re-exported fixture)
from icite_server import icite_server  # noqa: F401  (re-exported fixture)


@pytest.fixture(autouse=True)
def no_real_citation_services(monkeypatch):
    """iCite, Europe PMC and NCBI default to the real services: point them at a closed local
    port so a test that forgets its fake server fails fast instead of reaching the internet."""
    monkeypatch.setenv("LITBASE_ICITE_URL", "http://127.0.0.1:1/api/")
    # The same for NCBI: an import of a PMID list fetches the records when it can.
    monkeypatch.setenv("LITBASE_EUTILS_URL", "http://127.0.0.1:1/entrez/eutils/")
    monkeypatch.setenv("LITBASE_IDCONV_URL", "http://127.0.0.1:1/idconv/")
    monkeypatch.setenv("LITBASE_EUROPEPMC_URL", "http://127.0.0.1:1/europepmc/webservices/rest/")


@pytest.fixture
def database_page_builds(monkeypatch):
    """The paths Datasette builds a database page for (DatabaseView.data), in order: a page
    served from litbase's kept copy adds none."""
    from datasette.views.database import DatabaseView

    built = []
    original = DatabaseView.data

    async def counted(self, request, *args, **kwargs):
        built.append(request.path)
        return await original(self, request, *args, **kwargs)

    monkeypatch.setattr(DatabaseView, "data", counted)
    return built
