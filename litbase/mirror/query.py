"""A small subset of PubMed's search syntax, read into a DuckDB condition over the mirror's ``articles``.

Words and "quoted phrases", AND, OR, NOT, parentheses, and a field tag after
a term: [ti] [ab] [tiab] [au] [mh] [ta] [dp] (a year or 2000:2010) [pmid]
[doi] [all]. A term without a tag searches title and abstract. Adjacent terms
are ANDed, as PubMed does. This is a stopgap: ``to_condition`` is the one
entry point, to be replaced by the shared PubMed-syntax parser
(``litbase.model.pubmed_query``) so that ``find`` and ``search --mirror``
read a query the same way.

DuckDB's full-text extension is downloaded at run time, which a machine
without the internet cannot do, so words match as lower-case substrings.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|(\[[^\]]*\])|([^\s()\[\]"]+))')
OPERATORS = {"AND", "OR", "NOT"}
TEXT = "lower(coalesce(a.title, '') || ' ' || coalesce(a.abstract, ''))"


class QuerySyntaxError(ValueError):
    """A query the mirror's search cannot read; the message names the problem."""


def _tokens(term: str) -> list[tuple[str, str]]:
    out, at = [], 0
    term = term.rstrip()
    while at < len(term):
        found = TOKEN.match(term, at)
        if not found or found.end() == at:
            raise QuerySyntaxError(f"cannot read the query at {term[at:at + 20]!r}")
        at = found.end()
        opened, closed, phrase, tag, word = found.groups()
        if opened:
            out.append(("(", "("))
        elif closed:
            out.append((")", ")"))
        elif phrase is not None:
            out.append(("term", phrase))
        elif tag:
            out.append(("tag", tag[1:-1].strip().lower()))
        elif word in OPERATORS:
            out.append(("op", word))
        else:
            out.append(("term", word))
    return out


def _field(text: str, tag: str | None, params: list) -> str:
    words = text.strip().lower()
    if not words:
        raise QuerySyntaxError("an empty term")
    if tag in (None, "tiab", "all", "all fields", "tw", "text word"):
        params.append(words)
        return f"contains({TEXT}, ?)"
    if tag in ("ti", "title"):
        params.append(words)
        return "contains(lower(coalesce(a.title, '')), ?)"
    if tag in ("ab", "abstract"):
        params.append(words)
        return "contains(lower(coalesce(a.abstract, '')), ?)"
    if tag in ("au", "author"):
        last, _, initials = words.partition(" ")
        params.append(last)
        sql = "lower(u.last_name) = ?"
        if initials:
            params.append(initials.replace(" ", "").upper() + "%")
            sql += " AND u.initials LIKE ?"
        return f"a.pmid IN (SELECT u.pmid FROM authors u WHERE {sql})"
    if tag in ("mh", "mesh", "mesh terms"):
        params.append(words)
        return "a.pmid IN (SELECT m.pmid FROM mesh m WHERE lower(m.descriptor) = ?)"
    if tag in ("ta", "journal", "jour"):
        params += [words, words]
        return "(lower(a.journal) = ? OR lower(a.iso_abbreviation) = ?)"
    if tag in ("dp", "pdat", "year", "publication date"):
        first, _, last = words.partition(":")
        if not first[:4].isdigit() or (last and not last[:4].isdigit()):
            raise QuerySyntaxError(f"{text}[{tag}]: a year (2020) or a range (2015:2020) is expected")
        params += [int(first[:4]), int((last or first)[:4])]
        return "a.year BETWEEN ? AND ?"
    if tag in ("pmid", "uid"):
        if not words.isdigit():
            raise QuerySyntaxError(f"{text}[{tag}]: a PMID is a positive whole number")
        params.append(int(words))
        return "a.pmid = ?"
    if tag == "doi":
        params.append(words)
        return "lower(a.doi) = ?"
    if tag == "sb" and words == "all":
        return "TRUE"
    raise QuerySyntaxError(f"the mirror's search does not know the field [{tag}]")


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.at, self.params = tokens, 0, []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.tokens[self.at - 1]

    def expression(self) -> str:
        parts = [self.conjunction()]
        while self.peek() == ("op", "OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def conjunction(self) -> str:
        sql = self.atom()
        while (nxt := self.peek()) is not None and nxt[0] != ")" and nxt != ("op", "OR"):
            if nxt[0] == "op":
                self.take()
                sql = f"({sql} {'AND NOT' if nxt[1] == 'NOT' else 'AND'} {self.atom()})"
            else:  # two terms side by side: PubMed ANDs them
                sql = f"({sql} AND {self.atom()})"
        return sql

    def atom(self) -> str:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("the query ends where a term is expected")
        kind, text = self.take()
        if kind == "(":
            sql = self.expression()
            if self.peek() != (")", ")"):
                raise QuerySyntaxError("a parenthesis is not closed")
            self.take()
            return sql
        if kind != "term":
            raise QuerySyntaxError(f"{text!r} where a term is expected")
        words = [text]
        # Unquoted words up to a tag, an operator or a bracket form one phrase: heart attack[ti].
        while (nxt := self.peek()) is not None and nxt[0] == "term" and self._unquoted_run():
            words.append(self.take()[1])
        tag = self.take()[1] if self.peek() is not None and self.peek()[0] == "tag" else None
        return _field(" ".join(words), tag, self.params)

    def _unquoted_run(self) -> bool:
        # Words join into one phrase only when a tag closes the run (author names, journal titles).
        at = self.at
        while at < len(self.tokens) and self.tokens[at][0] == "term":
            at += 1
        return at < len(self.tokens) and self.tokens[at][0] == "tag"


def to_condition(term: str) -> tuple[str, list]:
    """A PubMed-style query -> (DuckDB condition on ``articles a``, its parameters)."""
    tokens = _tokens(term)
    if not tokens:
        raise QuerySyntaxError("the query is empty")
    reader = _Reader(tokens)
    sql = reader.expression()
    if reader.peek() is not None:
        raise QuerySyntaxError(f"unexpected {reader.peek()[1]!r}")
    return sql, reader.params
