"""PubMed's query syntax, read into a tree: no I/O, no SQL.

What it reads, as PubMed does (https://pubmed.ncbi.nlm.nih.gov/help/):

- terms with implicit AND between them: ``peer support`` is ``peer AND support``;
- the operators AND, OR and NOT, in upper case only, evaluated left to right
  (``a OR b AND c`` is ``(a OR b) AND c``), and parentheses;
- "quoted phrases";
- truncation at the end of a term or phrase, after at least four characters
  (``residen*``, ``"breast feed*"``);
- field tags after a term: ``burnout[ti]``, ``"peer support"[tiab]``. Unquoted
  words before a tag are one phrase (``peer support[ti]`` is
  ``"peer support"[ti]``), so ``smith j[au]`` is the author "Smith J", whose
  initials are truncated as PubMed does (Smith JA, Smith JB...);
- publication dates: ``2020[dp]``, ``2019:2021[dp]``, ``2019/03/01:2020/06[dp]``,
  and ``"2019"[dp] : "2021"[dp]`` as PubMed's "Search details" write it (only
  the year counts here);
- facts of a record rather than its words (a ``Filter``): ``31452104[pmid]``
  (or [uid]; several PMIDs before one tag are any of them),
  ``10.1000/xyz123[doi]`` (or [aid]: the DOI is the article identifier the
  records hold), and the subsets ``hasabstract`` (as PubMed, with or without
  [sb]), ``pubmed pmc[sb]``, ``free full text[sb]`` (what the records can
  say of it: a copy in PMC), ``medline[sb]`` and ``pubmednotmedline[sb]``.

A tag or subset PubMed has and litbase cannot answer from the records says
so; anything else is a ``QuerySyntaxError`` saying what is wrong and where.
``details`` writes a tree back the way PubMed's "Search details" does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Canonical field -> PubMed's name for it, in "Search details".
FIELD_NAMES = {
    "all": "All Fields", "ti": "Title", "tiab": "Title/Abstract", "tw": "Text Word",
    "au": "Author", "mh": "MeSH Terms", "ot": "Other Term", "ta": "Journal",
    "pt": "Publication Type", "dp": "Publication Date",
    "ab": "Abstract", "pmid": "UID", "doi": "DOI", "sb": "Filter",
}
# Every spelling of a tag PubMed accepts for those fields (lower case, one space).
TAGS = {
    "all": "all", "all fields": "all",
    "ti": "ti", "title": "ti",
    "tiab": "tiab", "title/abstract": "tiab",
    "tw": "tw", "text word": "tw", "text words": "tw",
    "au": "au", "author": "au", "auth": "au",
    "mh": "mh", "mesh": "mh", "mesh terms": "mh", "majr": "mh", "mesh major topic": "mh",
    "mh:noexp": "mh",
    "ot": "ot", "other term": "ot", "kw": "ot", "keyword": "ot",
    "ta": "ta", "jour": "ta", "journal": "ta",
    "pt": "pt", "publication type": "pt",
    "dp": "dp", "pdat": "dp", "publication date": "dp", "date - publication": "dp",
    "ab": "ab", "abstract": "ab",
    "pmid": "pmid", "uid": "pmid",
    "doi": "doi", "aid": "doi", "article identifier": "doi",
    "sb": "sb", "subset": "sb", "filter": "sb",
}
# PubMed's subsets the records can answer -> the one fact each asks for. "free full text" is
# PubMed's union of PMC and publishers' free articles; the records know only the PMC copy.
SUBSETS = {
    "hasabstract": "hasabstract", "has abstract": "hasabstract",
    "pubmed pmc": "pmc", "pmc": "pmc", "free full text": "pmc",
    "medline": "medline", "pubmednotmedline": "pubmednotmedline", "pubmed not medline": "pubmednotmedline",
}
# PubMed's other tags: named in the error, so that a PubMed user learns the tag exists but is not
# searched here rather than that it is misspelt.
PUBMED_ONLY_TAGS = {
    "ad": "Affiliation", "affl": "Affiliation", "la": "Language", "gr": "Grant Number",
    "edat": "Entrez Date", "crdt": "Create Date", "mhda": "MeSH Date", "lr": "Modification Date",
    "1au": "First Author", "lastau": "Last Author", "fau": "Full Author Name", "cn": "Corporate Author",
    "ir": "Investigator", "ip": "Issue", "vi": "Volume", "pg": "Pagination", "lid": "Location ID",
    "sh": "MeSH Subheading", "nm": "Supplementary Concept", "rn": "EC/RN Number", "pl": "Place of Publication",
    "ps": "Personal Name as Subject", "si": "Secondary Source ID", "tt": "Transliterated Title",
    "jid": "NLM Unique ID", "is": "ISBN", "book": "Book", "pa": "Pharmacological Action",
    "conflict of interest statement": "Conflict of Interest Statement",
}
OPERATORS = ("AND", "OR", "NOT")
# PubMed's rule for wildcards: at least four characters before the first one.
MIN_TRUNCATION_STEM = 4
# Publication years PubMed can hold; a range such as 2015:3000[dp] (PubMed's idiom
# for "2015 to now") is cut to these.
FIRST_YEAR, LAST_YEAR = 1700, 2100
# Words PubMed leaves out of an untagged search (a few of its stopwords), so that
# "support for residents" does not require the word "for".
STOPWORDS = frozenset("a an and are as at be by for from in into is it of on or that the this to was with".split())
DATE = re.compile(r"(\d{4})(?:/\d{1,2}(?:/\d{1,2})?)?")


class QuerySyntaxError(ValueError):
    """A query this reader cannot read: ``message`` says what, ``position`` where (0-based)."""

    def __init__(self, message: str, position: int | None = None):
        self.message, self.position = message, position
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(message + where)


@dataclass(frozen=True)
class Term:
    """Words to find, in ``field`` (None: all fields); a phrase when ``words`` has more than one."""

    words: tuple[str, ...]
    field: str | None = None
    truncated: bool = False  # the last word is a prefix
    quoted: bool = False


@dataclass(frozen=True)
class Years:
    """Published in ``first`` to ``last`` (inclusive): the [dp] tag."""

    first: int
    last: int
    as_typed: str


@dataclass(frozen=True)
class Filter:
    """A fact of the record, not its words: ``field`` pmid (``value`` the PMID), doi (the
    lower-cased DOI) or sb (``value`` a name of ``SUBSETS``' values)."""

    field: str
    value: str
    as_typed: str


@dataclass(frozen=True)
class Operation:
    operator: str  # AND, OR or NOT
    left: Node
    right: Node


Node = Term | Years | Filter | Operation


@dataclass(frozen=True)
class Token:
    kind: str  # word, phrase, tag, operator, open, close
    text: str
    position: int


def tokens(query: str) -> list[Token]:
    """The query's words, "phrases", [tags], operators and parentheses."""
    found, i = [], 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            found.append(Token("open" if char == "(" else "close", char, i))
            i += 1
        elif char in '"[':
            end = query.find('"' if char == '"' else "]", i + 1)
            if end < 0:
                what = "quotation mark" if char == '"' else "bracket ["
                raise QuerySyntaxError(f"The {what} is never closed", i)
            found.append(Token("phrase" if char == '"' else "tag", query[i + 1:end], i))
            i = end + 1
        elif char == ":" and found and found[-1].kind == "tag":
            found.append(Token("word", ":", i))  # "2019"[dp]:"2021"[dp]
            i += 1
        else:
            end = i
            while end < len(query) and not query[end].isspace() and query[end] not in '()"[':
                end += 1
            word = query[i:end]
            if word == "]":
                raise QuerySyntaxError("A ] without its [", i)
            found.append(Token("operator" if word in OPERATORS else "word", word, i))
            i = end
    return found


def parse(query: str) -> Node:
    """The query as a tree of ``Term``, ``Years``, ``Filter`` and ``Operation``; raises ``QuerySyntaxError``."""
    stream = tokens(query)
    if not stream:
        raise QuerySyntaxError("The search is empty: type a word, a phrase or a field-tagged term")
    parser = _Parser(stream)
    tree = parser.sequence()
    if parser.peek() is not None:
        token = parser.peek()
        raise QuerySyntaxError(f"Unexpected {_shown(token)}", token.position)
    if tree is None:
        raise QuerySyntaxError("Nothing to search for: only stopwords (and, the, of...) or punctuation")
    return tree


class _Parser:
    def __init__(self, stream: list[Token]):
        self.stream, self.at = stream, 0

    def peek(self) -> Token | None:
        return self.stream[self.at] if self.at < len(self.stream) else None

    def take(self) -> Token:
        self.at += 1
        return self.stream[self.at - 1]

    def sequence(self) -> Node | None:
        """Operands joined by operators (AND when none is written), left to right."""
        left, first = None, self.peek()
        if first is not None and first.kind == "operator":
            raise QuerySyntaxError(f"{first.text} needs a term before it", first.position)
        while (token := self.peek()) is not None and token.kind != "close":
            operator = "AND"
            if token.kind == "operator":
                operator = self.take().text
                following = self.peek()
                if following is None or following.kind in ("close", "operator"):
                    raise QuerySyntaxError(f"{operator} needs a term after it", token.position)
            right = self.operand()
            if right is None:  # stopwords only: nothing to join
                continue
            if left is None:
                if operator == "NOT":
                    raise QuerySyntaxError("NOT needs a term before it", token.position)
                left = right
            else:
                left = Operation(operator, left, right)
        return left

    def operand(self) -> Node | None:
        node = self._operand()
        colon = self.peek()
        # PubMed's own "Search details" write a range as "2019/01/01"[dp] : "2021"[dp].
        if isinstance(node, Years) and colon is not None and colon.kind == "word" and colon.text == ":":
            self.take()
            end = self._operand() if self.peek() is not None else None
            if not isinstance(end, Years):
                raise QuerySyntaxError("A date range written with : needs a [dp] date after it", colon.position)
            if end.last < node.first:
                raise QuerySyntaxError(f'The date range "{node.as_typed}:{end.as_typed}" ends before it starts',
                                       colon.position)
            return Years(node.first, end.last, f"{node.as_typed}:{end.as_typed}")
        return node

    def _operand(self) -> Node | None:
        token = self.take()
        if token.kind == "open":
            inner = self.sequence()
            close = self.peek()
            if close is None:
                raise QuerySyntaxError("The parenthesis is never closed", token.position)
            self.take()
            if inner is None:
                raise QuerySyntaxError("The parentheses hold nothing to search for", token.position)
            self._no_tag_after("a parenthesis")
            return inner
        if token.kind == "tag":
            raise QuerySyntaxError(f"The field tag [{token.text}] follows no term", token.position)
        if token.kind == "close":
            raise QuerySyntaxError("A ) without its (", token.position)
        if token.kind == "phrase":
            tag = self._tag()
            return _term(token.text, token.position, tag, quoted=True)
        words = [token]
        while (following := self.peek()) is not None and following.kind == "word":
            words.append(self.take())
        tag = self._tag()
        if tag is not None:  # unquoted words before a tag are one phrase, as in PubMed
            return _term(" ".join(w.text for w in words), token.position, tag)
        # PubMed passes over stopwords and lone punctuation ("peer & support").
        terms = [t for t in (_term(w.text, w.position, None) for w in words
                             if any(c.isalnum() for c in w.text)) if not _is_stopword(t)]
        tree = None
        for term in terms:
            tree = term if tree is None else Operation("AND", tree, term)
        return tree

    def _tag(self) -> tuple[str, int] | None:
        following = self.peek()
        if following is None or following.kind != "tag":
            return None
        self.take()
        self._no_tag_after("a field tag")
        tag = " ".join(following.text.lower().split())
        field = TAGS.get(tag)
        if field is None and tag in PUBMED_ONLY_TAGS:
            raise QuerySyntaxError(f"PubMed's field tag [{following.text}] ({PUBMED_ONLY_TAGS[tag]}) is not"
                                   " searched here: the local index does not hold it", following.position)
        if field is None:
            raise QuerySyntaxError(f"Unknown field tag [{following.text}]", following.position)
        return field, following.position

    def _no_tag_after(self, what: str) -> None:
        following = self.peek()
        if following is not None and following.kind == "tag":
            raise QuerySyntaxError(f"The field tag [{following.text}] cannot follow {what}",
                                   following.position)


def _term(text: str, position: int, tag: tuple[str, int] | None, quoted: bool = False) -> Node:
    field = tag[0] if tag else None
    if field == "dp":
        return _years(text, tag[1])
    if field in ("pmid", "doi", "sb") or (field is None and not quoted and text.lower() == "hasabstract"):
        return _filter(text, position, field or "sb")
    words = text.split()
    if not words:
        raise QuerySyntaxError("An empty phrase", position)
    truncated = words[-1].endswith("*")
    if truncated:
        words[-1] = words[-1].rstrip("*")
    if any("*" in w for w in words):
        raise QuerySyntaxError(f'Only the end of a term can be truncated: "{text}"', position)
    if truncated:
        stem = "".join(words)
        if len(stem) < MIN_TRUNCATION_STEM:
            raise QuerySyntaxError(f'A truncated term needs at least {MIN_TRUNCATION_STEM} characters'
                                   f' before the *: "{text}"', position)
    if not any(c.isalnum() for c in "".join(words)):
        raise QuerySyntaxError(f'"{text}" has no letter or digit to search for', position)
    if field == "au" and len(words) > 1 and _initials(words[-1]):
        truncated = True  # "Smith J" finds Smith J, Smith JA, Smith JB, as in PubMed
    return Term(tuple(words), None if field == "all" else field, truncated, quoted)


def _filter(text: str, position: int, field: str) -> Node:
    words = text.split()
    if not words:
        raise QuerySyntaxError("An empty phrase", position)
    if field == "pmid":
        values = [w for w in re.split(r"[\s,]+", text) if w]
        wrong = [w for w in values if not w.isdigit()]
        if wrong:
            raise QuerySyntaxError(f'"{wrong[0]}" is not a PMID: [pmid] takes the digits of one or more PMIDs',
                                   position)
        tree = None
        for value in values:  # PubMed reads several PMIDs before one [pmid] as any of them
            found = Filter("pmid", str(int(value)), value)
            tree = found if tree is None else Operation("OR", tree, found)
        return tree
    if field == "doi":
        if len(words) > 1:
            raise QuerySyntaxError(f'"{text}" is not a DOI: a DOI has no spaces', position)
        return Filter("doi", words[0].lower(), words[0])
    name = " ".join(words).lower()
    if name not in SUBSETS:
        raise QuerySyntaxError(f'The subset "{" ".join(words)}" [sb] is not one litbase can answer from the records'
                               " (it answers hasabstract, pubmed pmc, free full text, medline, pubmednotmedline)",
                               position)
    return Filter("sb", SUBSETS[name], " ".join(words))


def _initials(word: str) -> bool:
    return word.isalpha() and len(word) <= 3


def _is_stopword(term: Node) -> bool:
    return isinstance(term, Term) and not term.truncated and term.words[0].lower() in STOPWORDS


def _years(text: str, position: int) -> Years:
    parts = text.split(":")
    if len(parts) > 2:
        raise QuerySyntaxError(f'A date range has one colon: "{text}"', position)
    years = []
    for part in parts:
        match = DATE.fullmatch(part.strip())
        if match is None:
            raise QuerySyntaxError(f'"{part.strip()}" is not a date: write YYYY, YYYY/MM or YYYY/MM/DD'
                                   " (a range as 2019:2021)", position)
        years.append(int(match.group(1)))
    first, last = years[0], years[-1]
    if first > last:
        raise QuerySyntaxError(f'The date range "{text}" ends before it starts', position)
    return Years(max(first, FIRST_YEAR), min(last, LAST_YEAR), text.strip())


def _shown(token: Token) -> str:
    if token.kind == "close":
        return "): it closes no ("
    return repr(token.text)


def details(node: Node) -> str:
    """The tree as PubMed's "Search details" would write it: every term with its field."""
    if isinstance(node, Years):
        return f"{node.as_typed}[{FIELD_NAMES['dp']}]"
    if isinstance(node, Filter):
        text = f'"{node.as_typed}"' if " " in node.as_typed else node.as_typed
        return f"{text}[{FIELD_NAMES[node.field]}]"
    if isinstance(node, Term):
        text = " ".join(node.words) + ("*" if node.truncated else "")
        if len(node.words) > 1 or node.quoted:
            text = f'"{text}"'
        return f"{text}[{FIELD_NAMES[node.field or 'all']}]"
    parts = []
    for side in (node.left, node.right):
        shown = details(side)
        parts.append(f"({shown})" if isinstance(side, Operation) else shown)
    return f"{parts[0]} {node.operator} {parts[1]}"
