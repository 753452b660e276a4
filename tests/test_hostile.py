"""Hostile input: each gets a clear error or is handled, never a traceback, never a partial write.

XML reaches litbase two ways, as E-utilities answers and as PubMed XML files
(`parse_pubmed_xml`, used by bulk imports); both are tried with entity and DTD
attacks. User files go through `litbase import`, and hypothesis throws
generated files at every reader.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litbase.cli import cli
from litbase.parse.pubmed import PubmedParseError, parse_pubmed_xml
from litbase.store.schema import open_db

SEED = 5000
SECRET = "TOP-SECRET-FILE-CONTENT"


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    # A clean exit or click's own error exit; any other exception would be a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def counts(db_path) -> dict:
    db = sqlite_utils.Database(db_path)
    # The logs of what was asked and run are not what was stored.
    return {t: db[t].count for t in db.table_names() if t not in ("fetches", "runs")}


def article_xml(pmid: int, title: str = "A title", abstract: str = "An abstract") -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
            f'<Article PubModel="Print"><Journal><Title>J Hostile</Title><JournalIssue><PubDate><Year>2020'
            f"</Year></PubDate></JournalIssue></Journal><ArticleTitle>{title}</ArticleTitle>"
            f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract></Article></MedlineCitation>"
            f"<PubmedData><ArticleIdList><ArticleId IdType=\"pubmed\">{pmid}</ArticleId></ArticleIdList>"
            f"</PubmedData></PubmedArticle>")


class HostileEfetch(FakeEutilsServer):
    """efetch answers `body` whatever is asked; elink and the rest as usual."""

    body = b""

    def _efetch(self, params, drop):
        return self.body


def hostile_documents(secret_file: Path, base_url: str) -> dict[str, bytes]:
    """name -> a PubMed XML document for the seed that tries to read or fetch something."""
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return {
        "XXE file entity": (
            f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
            f"<PubmedArticleSet>{article_xml(SEED, 'Before &xxe; after')}</PubmedArticleSet>").encode(),
        "XXE http entity": (
            f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "{base_url}xxe-entity">]>'
            f"<PubmedArticleSet>{article_xml(SEED, 'Before &xxe; after')}</PubmedArticleSet>").encode(),
        "XXE parameter entity": (
            f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY % remote SYSTEM "{base_url}xxe-param">'
            f"%remote;]><PubmedArticleSet>{article_xml(SEED)}</PubmedArticleSet>").encode(),
        "external DTD": (
            f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet SYSTEM "{base_url}evil.dtd">'
            f"<PubmedArticleSet>{article_xml(SEED)}</PubmedArticleSet>").encode(),
        "billion laughs": (
            f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY lol0 "lol">{lol}]>'
            f"<PubmedArticleSet>{article_xml(SEED, '&lol9;')}</PubmedArticleSet>").encode(),
    }


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


DOCUMENTS = ["XXE file entity", "XXE http entity", "XXE parameter entity", "external DTD"]
AMPLIFICATION = "Maximum entity amplification factor exceeded"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_hostile_efetch_answer_is_inert(monkeypatch, tmp_path, secret_file, name):
    corpus = Corpus()
    corpus.add(SEED)
    with HostileEfetch(corpus) as fake:
        fake.body = hostile_documents(secret_file, fake.base_url)[name]
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
        result = invoke("fetch", tmp_path / "h.db", SEED, "--depth", 0, "--no-progress", "--sources", "pubmed")
        assert result.exit_code == 0, result.output
        # Nothing was fetched on the document's behalf: only litbase's own request arrived.
        assert [r.endpoint for r in fake.requests] == ["efetch"]
    db = sqlite_utils.Database(tmp_path / "h.db")
    row = db["articles"].get(SEED)
    assert row["journal"] == "J Hostile"
    everything = "\n".join(str(r) for t in db.table_names() for r in db[t].rows)
    assert SECRET not in everything
    # An entity that is not resolved leaves nothing behind; the parser folds the two spaces.
    assert row["title"] == ("Before after" if name in ("XXE file entity", "XXE http entity") else "A title")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_hostile_pubmed_xml_file_is_inert(tmp_path, secret_file, name):
    with FakeEutilsServer() as fake:  # only to see whether anything would be fetched
        path = tmp_path / "hostile.xml"
        path.write_bytes(hostile_documents(secret_file, fake.base_url)[name])
        records = list(parse_pubmed_xml(path))
        assert fake.requests == []
    assert [r["pmid"] for r in records] == [SEED]
    assert SECRET not in json.dumps(records)


def test_billion_laughs_is_refused(monkeypatch, tmp_path, secret_file):
    # libxml2 counts what the entities would amplify to, before expanding any, and stops at
    # the first use (line 1, column 7 of the title): a clear error, and not one "lol" anywhere.
    corpus = Corpus()
    corpus.add(SEED)
    with HostileEfetch(corpus) as fake:
        fake.body = hostile_documents(secret_file, fake.base_url)["billion laughs"]
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
        result = invoke("fetch", tmp_path / "b.db", SEED, "--no-progress", "--sources", "pubmed")
        assert [r.endpoint for r in fake.requests] == ["efetch"]  # not retried
    assert result.exit_code == 1
    assert result.output == (
        "Error: PubMed (efetch) failed: the answer is not readable PubMed XML: malformed PubMed XML in"
        f" <bytes> at line 1, column 7: {AMPLIFICATION}, see xmlCtxtSetMaxAmplification."
        " Everything fetched so far is stored; run the same command again to resume.\n")
    db = sqlite_utils.Database(tmp_path / "b.db")
    assert db["articles"].count == 0
    assert "lol" not in "\n".join(str(r) for t in db.table_names() for r in db[t].rows)
    path = tmp_path / "laughs.xml"
    path.write_bytes(fake.body)
    records = []
    with pytest.raises(PubmedParseError) as info:
        records.extend(parse_pubmed_xml(path))
    assert str(info.value) == (f"malformed PubMed XML in {path} at line 1, column 7: {AMPLIFICATION},"
                               " see xmlCtxtSetMaxAmplification.")
    assert records == []


def test_invalid_utf8_in_an_efetch_answer_is_reported(monkeypatch, tmp_path):
    corpus = Corpus()
    corpus.add(SEED)
    with HostileEfetch(corpus) as fake:
        fake.body = f"<?xml version=\"1.0\"?><PubmedArticleSet>{article_xml(SEED, 'Caf@')}</PubmedArticleSet>".encode(
        ).replace(b"@", b"\xff\xfe")
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
        result = invoke("fetch", tmp_path / "u.db", SEED, "--no-progress", "--sources", "pubmed")
    assert result.exit_code == 1
    assert ("Error: PubMed (efetch) failed: the answer is not readable PubMed XML: malformed PubMed XML in"
            " <bytes> at line 1") in result.output
    assert "run the same command again to resume" in result.output
    assert sqlite_utils.Database(tmp_path / "u.db")["articles"].count == 0


def test_unreadable_elink_answer_is_reported(monkeypatch, tmp_path):
    corpus = Corpus()
    corpus.add(SEED)

    class BadElink(FakeEutilsServer):
        def _elink(self, params, drop):
            return b'<?xml version="1.0"?><eLinkResult><LinkSet>\xff</LinkSet></eLinkResult>'

    with BadElink(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
        result = invoke("fetch", tmp_path / "e.db", SEED, "--no-progress", "--sources", "pubmed")
    assert result.exit_code == 1
    assert "Error: PubMed (elink) failed: the answer is not readable eLink XML:" in result.output
    db = sqlite_utils.Database(tmp_path / "e.db")
    assert [r["pmid"] for r in db["articles"].rows] == [SEED]
    assert db["articles"].get(SEED)["links_fetched_at"] is None  # asked again on the next run


HUGE_MB = 100
# Peak memory as VmHWM of this process image: ru_maxrss would carry over the high-water
# mark of the (large) pytest process the child was forked from.
PEAK = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) // 1024"
MEASURE = """
import sys
from litbase.parse.pubmed import PubmedParseError, parse_pubmed_xml
try:
    records = list(parse_pubmed_xml(sys.argv[1]))
    outcome = f"stored {len(records)}"
except PubmedParseError as error:
    outcome = f"refused: {error}"
print(""" + PEAK + """)
print(outcome)
"""
# `litbase import` in a process that reports its own peak memory when it exits, and the
# highest peak of the parsing processes it starts (sampled from /proc while they run).
MEASURE_CLI = """
import atexit, os, runpy, sys, threading, time
children = [0]
def watch():
    me = os.getpid()
    while True:
        for pid in open(f"/proc/{me}/task/{me}/children").read().split():
            try:
                status = open(f"/proc/{pid}/status").read()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM"):
                    children[0] = max(children[0], int(line.split()[1]) // 1024)
        time.sleep(0.02)
threading.Thread(target=watch, daemon=True).start()
atexit.register(lambda: sys.stderr.write(f"\\npeak-rss-mb {""" + PEAK + """} {children[0]}\\n"))
sys.argv = ["litbase", *sys.argv[1:]]
runpy.run_module("litbase", run_name="__main__")
"""


@pytest.mark.slow
def test_100_mb_single_article_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "huge.xml"
    with open(path, "w") as out:
        out.write('<?xml version="1.0"?>\n<PubmedArticleSet>')
        out.write(article_xml(SEED, abstract="@@@").split("@@@")[0])
        chunk = "peer support " * 80_000  # ~1 MB
        for _ in range(HUGE_MB):
            out.write(chunk)
        out.write(article_xml(SEED, abstract="@@@").split("@@@")[1])
        out.write("</PubmedArticleSet>\n")
    assert path.stat().st_size > HUGE_MB * 1_000_000
    measured = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                              timeout=120)
    assert measured.returncode == 0, measured.stderr
    peak_mb, outcome = measured.stdout.splitlines()
    print(f"parse_pubmed_xml on {path.stat().st_size / 1e6:.0f} MB: {outcome[:120]}; peak RSS {peak_mb} MB")
    # libxml2 refuses a text node over 10 MB (huge_tree stays off): a clear message, not 100 MB in memory.
    assert outcome.startswith(f"refused: malformed PubMed XML in {path} at line 2")
    assert outcome.endswith("Resource limit exceeded: Text node too long, try XML_PARSE_HUGE")
    assert int(peak_mb) < 100
    # Through the command line the file streams through a parsing process, which refuses the
    # node the same way: exit 1, the file and line named, nothing stored, no pubmed_files row.
    db_path = tmp_path / "huge.db"
    open_db(db_path).conn.close()
    before = counts(db_path)
    done = subprocess.run([sys.executable, "-c", MEASURE_CLI, "import", str(db_path), str(path)],
                          capture_output=True, text=True, timeout=120)
    cli_peak, parser_peak = map(int, done.stderr.rsplit("peak-rss-mb ", 1)[1].split())
    message = done.stderr.rsplit("\npeak-rss-mb", 1)[0]
    print(f"litbase import: exit {done.returncode}, {message.splitlines()[0][:100]}; peak RSS {cli_peak} MB,"
          f" parsing process {parser_peak} MB")
    assert done.returncode == 1
    assert message.splitlines() == [
        f"Error: {path}, line 2: malformed PubMed XML: Resource limit exceeded: Text node too long,"
        " try XML_PARSE_HUGE",
        f"Nothing from {path} was stored."]
    assert counts(db_path) == before
    assert sqlite_utils.Database(db_path)["pubmed_files"].count == 0
    assert sqlite_utils.Database(db_path).execute("SELECT command, outcome, counts FROM runs").fetchall() == [
        ("import", "refused", '{"file": "huge.xml", "records_stored": 0}')]
    assert cli_peak < 150 and 0 < parser_peak < 100  # the file is never held whole (before: 297 MB)


def test_article_with_10000_authors(monkeypatch, tmp_path):
    corpus = Corpus()
    corpus.add(SEED, authors=[(f"Surname{i}", f"Given{i}") for i in range(10_000)])
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
        result = invoke("fetch", tmp_path / "a.db", SEED, "--depth", 0, "--no-progress", "--sources", "pubmed")
        assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert db.execute("select count(*), max(position) from articles_authors where pmid = ?",
                      [SEED]).fetchone() == (10_000, 10_000)
    assert db["articles"].get(SEED)["authors"].count(", ") == 9_999
    exported = invoke("export", tmp_path / "a.db", SEED, "--format", "ris")
    assert exported.exit_code == 0 and exported.stdout.count("AU  - ") == 10_000


@pytest.mark.parametrize("bad", ["12a", "abc", "-5", "0", "99999999999999999999", "1e6", "²", "１２３", "12 3", ""])
def test_bad_pmids_refused_before_any_request(eutils_server, monkeypatch, tmp_path, bad):
    monkeypatch.setenv("LITBASE_EUTILS_URL", eutils_server.base_url)
    result = invoke("fetch", tmp_path / "p.db", bad, "--sources", "pubmed")
    assert result.exit_code == 2
    assert f"Error: Invalid value for PMID: {bad!r} is not a PMID" in result.output
    assert eutils_server.requests == []
    assert not (tmp_path / "p.db").exists()


def test_duplicated_pmids_are_asked_once(eutils_server, monkeypatch, tmp_path):
    eutils_server.corpus.add(SEED)
    monkeypatch.setenv("LITBASE_EUTILS_URL", eutils_server.base_url)
    monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
    result = invoke("fetch", tmp_path / "d.db", SEED, f"00{SEED}", SEED, "--depth", 0, "--sources", "pubmed",
                    "--no-progress")
    assert result.exit_code == 0, result.output
    assert [r.params["id"] for r in eutils_server.requests] == [str(SEED)]


@pytest.mark.parametrize("term", [
    'peer support[tiab] AND "residency"[MeSH Terms] AND 2020:2024[dp]',
    "wellness&db=protein&api_key=STOLEN&retmax=100000",
    "burnout[ti] OR #1",
])
def test_search_terms_with_field_tags_are_sent_as_one_term(eutils_server, monkeypatch, tmp_path, term):
    monkeypatch.setenv("LITBASE_EUTILS_URL", eutils_server.base_url)
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    monkeypatch.setenv("NCBI_API_KEY", "hostile-key")
    eutils_server.corpus.register_term(term, [SEED])
    eutils_server.corpus.add(SEED)
    result = invoke("search", tmp_path / "s.db", term, "--collection", "s", "--no-progress")
    assert result.exit_code == 0, result.output
    first = eutils_server.requests[0]
    # The term travels whole as one parameter: nothing in it became a parameter of its own.
    assert (first.endpoint, first.params) == ("esearch", {
        "db": "pubmed", "term": term, "usehistory": "y", "retmax": "9999", "tool": "litbase",
        "api_key": "hostile-key"})
    assert sqlite_utils.Database(tmp_path / "s.db")["articles"].count == 1


# Files whose one odd line costs only that line or record: what is read is stored, and
# the output names the problem (file, line, why).
ODD_BUT_READ = {
    "unclosed.ris": ("TY  - JOUR\nTI  - No end\n",
                     "  warning: {path}, line 1: record is not closed with an ER line; kept"),
    "stray-er.ris": ("TY  - JOUR\nER  - \nER  - \n",
                     "  skipped: {path}, line 3: a RIS record must start with TY, not ER"),
    "letters.nbib": ("PMID- 12ab\nTI  - x\n", "  warning: {path}, line 1: PMID '12ab' is not a positive"
                     " whole number; the record is kept without a PMID"),
    "negative.nbib": ("PMID- -5\nTI  - x\n", "  warning: {path}, line 1: PMID '-5' is not a positive"
                      " whole number; the record is kept without a PMID"),
}


def import_after_a_good_file(tmp_path, path):
    """Import one good record, then ``path``: (database, table counts between, the second result)."""
    db_path = tmp_path / "m.db"
    good = tmp_path / "good.nbib"
    good.write_text("PMID- 123\nTI  - Stored first\nDP  - 2020\n")
    assert invoke("import", db_path, good).exit_code == 0
    before = counts(db_path)
    return db_path, before, invoke("import", db_path, path)


@pytest.mark.parametrize("name", ODD_BUT_READ)
def test_an_odd_record_costs_only_itself(tmp_path, name):
    text, line = ODD_BUT_READ[name]
    path = tmp_path / name
    path.write_text(text)
    db_path, before, result = import_after_a_good_file(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert line.format(path=path) in result.output.splitlines()
    after = counts(db_path)
    # The one record each file holds has no usable PMID: it waits in unmatched_records.
    assert after["unmatched_records"] == before["unmatched_records"] + 1
    assert after["articles"] == before["articles"] == 1


# Files a reader must refuse whole (nothing in them can be read), with the line it names.
MALFORMED = {
    "unclosed.bib": ("@article{x, title={never closed\n", "line 1: cannot read this BibTeX entry"),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to be a CSL-JSON bibliography"),
    "not-json.json": ('[{"title": "x",}]', "line 1: not valid JSON"),
    "latin1.ris": ("TY  - JOUR\nTI  - Caf\xe9\nER  - \n", "line 2: not UTF-8 text"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_are_refused_whole(tmp_path, name):
    text, message = MALFORMED[name]
    path = tmp_path / name
    if name.startswith("latin1"):
        path.write_bytes(text.encode("latin-1"))
    else:
        path.write_text(text)
    db_path, before, result = import_after_a_good_file(tmp_path, path)
    assert result.exit_code == 1
    assert f"Error: {path}" in result.output and message in result.output
    assert f"Nothing from {path} was stored." in result.output
    assert counts(db_path) == before


# --- property-based: any text at all, through every reader -----------------------------------

FRAGMENTS = {
    ".ris": ["TY  - JOUR", "TY  - BOOK", "ER  - ", "AU  - Doe, Jane", "PY  - 2020", "PY  - x", "TI  - T",
             "SP  - 1", "EP  - 9", "DO  - 10.1/x", "AN  - 123", "ID  - 99999999999", "KW  - a;b", "  - ", ""],
    ".nbib": ["PMID- 123", "PMID- 0", "PMID- x1", "TI  - A title", "      continued", "DP  - 2020 Jan",
              "DP  - ??", "FAU - Doe, Jane", "AU  - Doe J", "AID - 10.1/x [doi]", "PT  - Journal Article", ""],
    ".bib": ["@article{k,", "@book{k2,", "}", "title = {T},", "author = {Doe, Jane and Roe, R},",
             "year = {2020},", "year = {x},", "pmid = {123},", "pmid = {12a},", "doi = {10.1/x},", "{", "@",
             "@string{s = \"x\"}", "month = jan,", ""],
    ".json": ['[', ']', '{', '}', ',', '"title": "T"', '"PMID": "123"', '"PMID": "x"', '"issued": {"date-parts": [[2020]]}',
              '"author": [{"family": "Doe"}]', '"author": 5', '"type": "article-journal"', "null", '"DOI": "10.1/x"', ":"],
}


def file_text(suffix: str):
    line = st.one_of(st.sampled_from(FRAGMENTS[suffix]), st.text(max_size=30))
    return st.lists(line, max_size=25).map("\n".join)


@pytest.mark.parametrize("suffix", list(FRAGMENTS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_importers_never_trace_back_nor_write_part_of_a_file(suffix, data):
    text = data.draw(file_text(suffix))
    folder = Path(tempfile.mkdtemp(prefix="litbase-hypothesis-"))
    path = folder / f"generated{suffix}"
    path.write_bytes(text.encode("utf-8", "replace"))  # lone surrogates become "?"
    db_path = folder / "h.db"
    open_db(db_path).conn.close()
    before = counts(db_path)
    result = CliRunner().invoke(cli, ["import", str(db_path), str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code != 0:
        assert result.exit_code == 1
        assert f"Error: {path}" in result.output and f"Nothing from {path} was stored." in result.output
        assert counts(db_path) == before
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
