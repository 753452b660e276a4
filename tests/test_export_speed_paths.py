"""The exports' quick paths write exactly what the plain ones wrote.

The BibTeX writer copies runs of plain ASCII in one piece rather than one
character at a time, CSL-JSON indents without json's pure-Python encoder,
MEDLINE leaves a value that fits unwrapped and folding skips text with
nothing to fold. These tests hold each to the plain rules (written out here
as they were) on generated text full of specials, braces, ligature doubles,
control characters, line breaks of every kind and combining marks.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

import json
import re
import textwrap

from litbase.formats import vocab
from litbase.formats.writers import latex as bibtex_latex, medline
from litbase.formats.writers.latex import braces_pair, latex_escape
from litbase.formats.writers.csljson import indented


def braces_pair_by_character(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def clusters(text: str):
    cluster = ""
    for char in text:
        if cluster and unicodedata.combining(char):
            cluster += char
            continue
        if cluster:
            yield cluster
        cluster = char
    if cluster:
        yield cluster


def latex_escape_by_character(text: str, unicode: bool = False) -> str:
    if unicode:
        text = "\n".join(text.splitlines())
    braces = bibtex_latex._PAIRED_BRACES if braces_pair_by_character(text) else bibtex_latex._LONE_BRACES
    out, position = [], 0
    for cluster in clusters(text):
        position += len(cluster)
        if cluster in bibtex_latex._SPECIALS or cluster in braces:
            out.append(bibtex_latex._SPECIALS.get(cluster) or braces[cluster])
        elif (cluster.isascii() and cluster not in bibtex_latex.LINE_STRUCTURE) or unicode:
            out.append(cluster)
        else:
            out.append(bibtex_latex.spelling(cluster))
        if cluster in bibtex_latex._LIGATURES and text[position:position + 1] == cluster:
            out.append("{}")
    return bibtex_latex._ZOTERO_SIGNS.sub(lambda m: m.group()[0] + "{}" + m.group()[1:], "".join(out))


# Plain words, every special, braces, ligature characters, control characters, combining
# marks (also first, and after ASCII), letters pylatexenc spells and one it does not.
PIECES = st.sampled_from([
    "Peer support", " ", "a", "V", "\\", "%", "&", "$", "#", "_", "~", "^", "{", "}", "-", "--", "`", "'",
    "''", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\n", "\u0307", "\u0301\u0308", "é", "Ø",
    "\u2028", "中", "ﬁ", "∆", "％", "e\u0301", "1", ".", "!", "?", "TEL", "T", "EL",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join), st.booleans())
def test_latex_escape_writes_what_it_wrote_character_by_character(text, unicode):
    assert latex_escape(text, unicode) == latex_escape_by_character(text, unicode)
    assert braces_pair(text) == braces_pair_by_character(text)


def test_the_examples_that_name_each_rule():
    for text in ("V\u0307O2", "a--b", "SPIE--the ''x''", "ab\u0307c", "\u0307start", "}{", "{a}b}",
                 "100% of $5 #1 a_b ~x^2 \\ in résidents", "tab\there\x1c"):
        assert latex_escape(text) == latex_escape_by_character(text)


TEXT = st.lists(PIECES | st.sampled_from(["  ", "\u00a0", "\u2029", "\x85", "\t\n "]), max_size=40).map("".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4)
    | st.dictionaries(st.integers(), inner, max_size=2),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_csl_json_indents_as_json_does(value):
    plain = json.dumps(value, ensure_ascii=False, indent=2)
    assert indented(value) == plain
    assert indented(value, "  ") == "\n".join(("  " if n else "") + line for n, line in enumerate(plain.split("\n")))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_folding_skips_only_text_with_nothing_to_fold(text):
    assert vocab.fold(text) == re.sub(r"[\t\n\v\f\r \x1c-\x1f\x85\u2028\u2029]+", " ", text).strip(" ")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["word", "a", "hyphen-ated", "x" * 80, " ", "\u00a0", "\u2009", "\u3000", "\n"]), max_size=40).map("".join))
def test_a_medline_value_that_fits_is_the_line_textwrap_gives(text):
    article = {"pmid": 1, "title": text, "abstract": text}
    lines = []
    for tag, value in medline.medline_fields(article):
        wrapped = textwrap.wrap(value, medline.WIDTH - 6, break_long_words=False,
                                break_on_hyphens=False) or [value]
        lines.append(f"{tag:<4}- {wrapped[0]}")
        lines += ["      " + part for part in wrapped[1:]]
    assert medline.medline_record(article) == "\n".join(lines) + "\n"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([" ", "  ", "\u00a0", "\t", "\n", "-", "x" * 75, "y" * 74]),
                          st.text(alphabet="abcdé-", min_size=1, max_size=12)), max_size=60).map("".join),
       st.integers(min_value=1, max_value=80))
def test_medline_packs_lines_as_textwrap_does(text, width):
    assert medline._wrapped(text, width) == (textwrap.wrap(text, width, break_long_words=False,
                                                           break_on_hyphens=False) or [text])


def test_a_record_column_an_older_file_lacks_loads_as_none(tmp_path):
    # load reads only the columns a record is made of, named one by one: a file written
    # before one of them existed (served read-only, never migrated) loads it as None.
    import sqlite3
    import types

    from bib_fixtures import PMIDS, build_db
    from litbase.store.load import load_articles

    path = tmp_path / "old.db"
    build_db(path).conn.close()
    conn = sqlite3.connect(path)
    whole = list(load_articles(types.SimpleNamespace(conn=conn), PMIDS))
    conn.execute("ALTER TABLE articles DROP COLUMN publisher")
    conn.execute("ALTER TABLE journals DROP COLUMN country")
    older = list(load_articles(types.SimpleNamespace(conn=conn), PMIDS))
    conn.close()
    assert [a["publisher"] for a in older] == [None] * len(PMIDS)
    assert [a["journal"]["country"] for a in older] == [None] * len(PMIDS)
    assert any(a["publisher"] for a in whole)
    for record in whole:
        record["publisher"] = None
        record["journal"]["country"] = None
    assert older == whole


def test_mesh_names_kept_between_loads_are_read_again_after_a_change(tmp_path):
    # An export reads the MeSH names it already knows on this connection from MeshNames,
    # not from mesh_terms: after another connection commits, or this one writes, they are
    # read again; a heading whose term mesh_terms lacks is left out, as the join left it.
    import sqlite3
    import types

    from bib_fixtures import build_db
    from litbase.store.load import MeshNames, load_articles

    path = tmp_path / "mesh.db"
    build_db(path).conn.close()
    conn = sqlite3.connect(path)
    db, names = types.SimpleNamespace(conn=conn), MeshNames()

    def descriptors():
        [article] = load_articles(db, [990101], cite_keys=False, mesh_names=names)
        return [(m["descriptor_ui"], m["descriptor"], m["qualifiers"]) for m in article["mesh_headings"]]

    assert descriptors() == [("D007396", "Internship and Residency", []),
                             ("D004504", "Education, Medical, Graduate", ["psychology*"])]
    other = sqlite3.connect(path)
    with other:
        other.execute("UPDATE mesh_terms SET name = 'Internship' WHERE id = 'D007396'")
    assert descriptors()[0] == ("D007396", "Internship", [])
    with conn:
        conn.execute("UPDATE mesh_terms SET name = 'Residency' WHERE id = 'D007396'")
    assert descriptors()[0] == ("D007396", "Residency", [])
    with other:
        other.execute("DELETE FROM mesh_terms WHERE id = 'D004504'")
    assert descriptors() == [("D007396", "Residency", [])]
    other.close()
    conn.close()


def test_a_byline_without_its_own_spelling_loads_the_shared_authors_row(tmp_path):
    # SQLite picks the name: the record's own five parts when any is stored, else all five
    # from the shared authors row (an authorship stored before the record's spelling was kept).
    import sqlite3
    import types

    from bib_fixtures import build_db
    from litbase.store.load import load_articles

    path = tmp_path / "names.db"
    build_db(path).conn.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE authors SET last_name = 'Mueller', orcid = '0000-0002-1825-0097'"
                     " WHERE id = (SELECT author_id FROM articles_authors WHERE pmid = 990101 AND position = 1)")
        conn.execute("UPDATE articles_authors SET last_name = NULL, fore_name = NULL, initials = NULL,"
                     " suffix = NULL, collective_name = NULL WHERE pmid = 990101 AND position = 1")
        conn.execute("UPDATE articles_authors SET last_name = NULL, fore_name = NULL, suffix = NULL,"
                     " collective_name = NULL WHERE pmid = 990101 AND position = 2")
    [article] = load_articles(types.SimpleNamespace(conn=conn), [990101], cite_keys=False)
    conn.close()
    names = [(a["last_name"], a["fore_name"], a["initials"], a["orcid"]) for a in article["authors"]]
    assert names == [("Mueller", "Hans", "H", "0000-0002-1825-0097"), (None, None, "Ø", None),
                     ("García", "José", "J", None)]
