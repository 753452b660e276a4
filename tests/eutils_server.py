"""A fake NCBI E-utilities server on 127.0.0.1: real HTTP, a synthetic corpus, faults on demand.

Use it as a context manager (`with FakeEutilsServer(corpus) as server: server.base_url`) or through
the `eutils_server` pytest fixture. Benchmarks import it the same way.

Faults, `server.inject(endpoint, kind, times=1, **opts)`, endpoint "efetch"/"elink"/"esearch"/"*":
  "429" JSON body as NCBI (opts retry_after=seconds -> Retry-After header); "500"/"502"/"503"/any
  status: an HTML page; "reset": TCP reset, no answer; "slow": answer after opts delay (2 s);
  "truncate": Content-Length of the whole body, half of it sent, then hang up (opts mode="xml":
  a correct HTTP 200 whose XML is cut in half); "error200": HTTP 200 with <ERROR> (opts message,
  default "Unable to obtain query #1"); "drop_records": efetch leaves out the last opts k (1) articles.

Also served: the PMC ID converter (`server.idconv_url`, JSON, idtype=pmcid|doi; it knows only articles
in PMC, like NCBI's) and ESearch `"DOI"[doi]`. Articles can carry `retracted_by` (a RetractionIn notice
and the "Retracted Publication" type) and `date_revised` ("2024-05-01").
"""

from __future__ import annotations

import json
import random
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from fake_http import FaultyHandler, LocalHTTPServer

ESEARCH_CAP = 9999  # PubMed ESearch/EFetch-from-history retrieve at most the first 9,999 records
JOURNALS = ["J Synth Med Educ", "Acad Synth Med", "Synth Res Lett", "Ann Synth Stud"]
SURNAMES = ["Smith", "Garcia", "Nguyen", "Okafor", "Tanaka", "Muller", "Rossi", "Kowalski"]
FORENAMES = ["Ana", "Ben", "Chidi", "Dana", "Emre", "Fatima", "Goran", "Hiro"]
RATE_LIMIT_BODY = b'{"error":"API rate limit exceeded","count":"11"}'
HISTORY_CAP_ERROR = ("Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed, "
                     "ESearch can only retrieve the first 9,999 records matching the query.")


@dataclass
class Article:
    pmid: int
    title: str = ""
    year: int = 2020
    journal: str = JOURNALS[0]
    authors: list = field(default_factory=lambda: [("Doe", "Jane")])
    abstract: str | None = None
    refs: list = field(default_factory=list)  # cited PMIDs
    unlinked_refs: list = field(default_factory=list)  # citation texts without a PMID
    deposited_refs: bool = False  # efetch carries PubmedData/ReferenceList
    in_pmc: bool = False  # elink gives pubmed_pubmed_refs; counts as a PMC citer for citedin
    similar: list = field(default_factory=list)  # [(pmid, score)], best first
    doi: str | None = None
    retracted_by: int | None = None  # PMID of a retraction notice
    date_revised: str | None = None  # ISO date, as MedlineCitation/DateRevised

    def __post_init__(self):
        self.title = self.title or f"Synthetic article {self.pmid}"
        self.doi = self.doi or f"10.5555/synth.{self.pmid}"

    @property
    def pmcid(self) -> str | None:
        return f"PMC{self.pmid}" if self.in_pmc else None


class Corpus:
    """Articles by PMID plus registered search terms; cited_by is derived from refs."""

    def __init__(self):
        self.articles: dict[int, Article] = {}
        self.terms: dict[str, list[int]] = {}
        self._cited_by: dict[int, list[int]] | None = None

    def add(self, pmid: int, **fields) -> Article:
        self.articles[pmid] = article = Article(pmid, **fields)
        self._cited_by = None
        return article

    def get(self, pmid: int) -> Article | None:
        return self.articles.get(pmid)

    def cited_by(self, pmid: int) -> list[int]:
        if self._cited_by is None:
            index: dict[int, list[int]] = {}
            for article in self.articles.values():
                for ref in article.refs:
                    index.setdefault(ref, []).append(article.pmid)
            self._cited_by = {k: sorted(v, reverse=True) for k, v in index.items()}
        return self._cited_by.get(pmid, [])

    def register_term(self, term: str, pmids: list[int] | None = None, *, count: int | None = None,
                      first_pmid: int = 40_000_000, years: tuple[int, int] = (2000, 2024)) -> list[int]:
        """Make `term` return these PMIDs, or `count` new articles spread evenly over `years`."""
        if count is not None:
            span = years[1] - years[0] + 1
            pmids = [first_pmid + i for i in range(count)]
            for i, pmid in enumerate(pmids):
                self.articles[pmid] = Article(pmid, year=years[0] + i % span)
            self._cited_by = None
        self.terms[term.strip().lower()] = list(pmids or [])
        return list(pmids or [])

    @classmethod
    def random_graph(cls, n_articles: int, mean_refs: float, seed: int, *, first_pmid: int = 1_000_000,
                     pmc_fraction: float = 0.6, deposited_fraction: float = 0.3,
                     n_similar: int = 5) -> "Corpus":
        """A deterministic citation graph: later articles cite earlier ones. PMIDs step by 7."""
        rng = random.Random(seed)
        corpus = cls()
        pmids = [first_pmid + 7 * i for i in range(n_articles)]
        for i, pmid in enumerate(pmids):
            k = min(i, rng.randint(0, int(2 * mean_refs)))
            others = pmids[:i] + pmids[i + 1:]
            similar = rng.sample(others, min(n_similar, len(others)))
            scores = sorted((rng.randint(1_000_000, 50_000_000) for _ in similar), reverse=True)
            corpus.add(
                pmid, year=1990 + (35 * i) // max(n_articles, 1), journal=rng.choice(JOURNALS),
                authors=[(rng.choice(SURNAMES), rng.choice(FORENAMES)) for _ in range(rng.randint(1, 4))],
                abstract=f"Abstract of synthetic article {pmid}." if rng.random() < 0.7 else None,
                refs=rng.sample(pmids[:i], k), in_pmc=rng.random() < pmc_fraction,
                deposited_refs=rng.random() < deposited_fraction, similar=list(zip(similar, scores)))
        return corpus

    def search(self, term: str) -> tuple[list[int], list[str]]:
        """PMIDs (newest first) for a tiny PubMed dialect, and the phrases that matched nothing."""
        registered = self.terms.get(term.strip().lower())
        if registered is not None:
            return sorted(set(registered), reverse=True), []
        result: set[int] | None = None
        not_found = []
        for part in re.split(r"\s+AND\s+", term.strip()):
            part = part.strip().strip("()").strip()
            uid = re.fullmatch(r"(\d+)\s*\[(uid|pmid)\]", part, re.I)
            doi = re.fullmatch(r'"?(10\.[^"\[]+?)"?\s*\[doi\]', part, re.I)
            if re.fullmatch(r"all\s*\[sb\]", part, re.I):
                hits = set(self.articles)
            elif doi:
                hits = {p for p, a in self.articles.items() if a.doi.lower() == doi.group(1).lower()}
            elif uid:
                hits = {int(uid.group(1))} & set(self.articles)
            else:
                phrase = re.sub(r"\[[^\]]*\]", "", part).strip().strip('"').lower()
                hits = {p for p, a in self.articles.items() if phrase in a.title.lower()}
                if not hits:  # like PubMed: report the phrase and search without it
                    not_found.append(phrase)
                    continue
            result = hits if result is None else result & hits
        return sorted(result or (), reverse=True), not_found


def _article_xml(a: Article) -> str:
    e = escape
    authors = "".join(
        f'<Author ValidYN="Y"><LastName>{e(last)}</LastName><ForeName>{e(first)}</ForeName>'
        f"<Initials>{e(first[:1])}</Initials></Author>" for last, first in a.authors)
    abstract = f"<Abstract><AbstractText>{e(a.abstract)}</AbstractText></Abstract>" if a.abstract else ""
    ids = f'<ArticleId IdType="pubmed">{a.pmid}</ArticleId><ArticleId IdType="doi">{e(a.doi)}</ArticleId>'
    if a.pmcid:
        ids += f'<ArticleId IdType="pmc">{a.pmcid}</ArticleId>'
    revised = notices = retracted_type = ""
    if a.date_revised:
        y, m, d = a.date_revised.split("-")
        revised = f"<DateRevised><Year>{y}</Year><Month>{m}</Month><Day>{d}</Day></DateRevised>"
    if a.retracted_by:
        notices = (f'<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn"><RefSource>'
                   f'Retraction notice</RefSource><PMID Version="1">{a.retracted_by}</PMID>'
                   f"</CommentsCorrections></CommentsCorrectionsList>")
        retracted_type = '<PublicationType UI="D016441">Retracted Publication</PublicationType>'
    refs = ""
    if a.deposited_refs and (a.refs or a.unlinked_refs):
        items = [f"<Reference><Citation>Synthetic article {r}. {e(a.journal)}.</Citation><ArticleIdList>"
                 f'<ArticleId IdType="pubmed">{r}</ArticleId></ArticleIdList></Reference>' for r in a.refs]
        items += [f"<Reference><Citation>{e(text)}</Citation></Reference>" for text in a.unlinked_refs]
        refs = f"<ReferenceList>{''.join(items)}</ReferenceList>"
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{a.pmid}</PMID>{revised}'
        f'<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>{a.year}'
        f"</Year></PubDate></JournalIssue><Title>{e(a.journal)}</Title></Journal>"
        f"<ArticleTitle>{e(a.title)}</ArticleTitle>"
        f'<ELocationID EIdType="doi" ValidYN="Y">{e(a.doi)}</ELocationID>{abstract}'
        f'<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language>'
        f'<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
        f"{retracted_type}</PublicationTypeList></Article>{notices}</MedlineCitation><PubmedData><PublicationStatus>ppublish"
        f"</PublicationStatus><ArticleIdList>{ids}</ArticleIdList>{refs}</PubmedData></PubmedArticle>")


def _linksetdb(name: str, links: list, scored: bool) -> str:
    if not links:
        return ""
    body = "".join(f"<Link><Id>{p}</Id>" + (f"<Score>{s}</Score>" if scored else "") + "</Link>"
                   for p, s in links)
    return f"<LinkSetDb><DbTo>pubmed</DbTo><LinkName>{name}</LinkName>{body}</LinkSetDb>"


@dataclass
class LoggedRequest:
    time: float  # time.monotonic() at arrival
    method: str
    path: str
    params: dict  # a repeated parameter (elink id=) is a list, others are strings
    status: int | None = None  # None: the connection was reset without an answer

    @property
    def endpoint(self) -> str:
        if "/idconv/" in self.path:
            return "idconv"
        return self.path.rsplit("/", 1)[-1].removesuffix(".fcgi")


class FakeEutilsServer(LocalHTTPServer):
    """Serves a Corpus as efetch/elink/esearch; logs every request; misbehaves when told to."""

    def __init__(self, corpus: Corpus | None = None, *, enforce_rate_limit: int | None = None):
        self.corpus = corpus or Corpus()
        self.enforce_rate_limit = enforce_rate_limit
        self.history: dict[str, dict[str, list[int]]] = {}
        super().__init__()

    def handler_class(self):
        return _Handler

    @property
    def base_url(self) -> str:
        return self.root_url + "/entrez/eutils/"

    @property
    def idconv_url(self) -> str:
        return self.root_url + "/pmc/utils/idconv/v1.0/"

    def idconv(self, params: dict) -> bytes:
        """The ID converter's JSON: one record per requested ID, an error record when unknown."""
        idtype = _one(params, "idtype", "pmcid")
        records = []
        for requested in [v.strip() for v in _one(params, "ids", "").split(",") if v.strip()]:
            match = next((a for a in self.corpus.articles.values() if a.in_pmc and (
                (idtype == "pmcid" and a.pmcid == requested.upper())
                or (idtype == "doi" and a.doi.lower() == requested.lower()))), None)
            if match is None:
                records.append({"requested-id": requested, "status": "error", "errmsg": "invalid article id"})
            else:
                records.append({"requested-id": requested, "pmcid": match.pmcid, "pmid": str(match.pmid),
                                "doi": match.doi})
        return json.dumps({"status": "ok", "request": f"ids={_one(params, 'ids', '')}",
                           "records": records}).encode()

    # --- log and faults -----------------------------------------------------------------
    def max_requests_in_any_window(self, window: float = 1.0) -> int:
        times = sorted(r.time for r in self.requests)
        best = start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def inject(self, endpoint: str, kind: str, times: int = 1, **opts) -> None:
        """Misbehave on the next `times` requests to `endpoint` ("*": any); kinds in the module docstring."""
        with self._lock:
            self._faults.append([endpoint.removesuffix(".fcgi"), str(kind), times, opts])

    def _arrive(self, method: str, path: str, params: dict):
        with self._lock:
            entry = LoggedRequest(time.monotonic(), method, path, params)
            self._log.append(entry)
            if self.enforce_rate_limit is not None:
                recent = 0
                for r in reversed(self._log):  # NCBI's rule: over N requests in a trailing second -> 429
                    if entry.time - r.time >= 1.0:
                        break
                    recent += 1
                if recent > self.enforce_rate_limit:
                    return entry, ("429", {})
            for fault in self._faults:
                if fault[0] in ("*", entry.endpoint) and fault[2] > 0:
                    fault[2] -= 1
                    return entry, (fault[1], fault[3])
            return entry, None

    # --- endpoints ----------------------------------------------------------------------
    def respond(self, endpoint: str, params: dict, drop: int = 0) -> bytes:
        """The XML body for a request, as NCBI would send it with HTTP 200."""
        handler = {"efetch": self._efetch, "elink": self._elink, "esearch": self._esearch}[endpoint]
        try:
            return handler(params, drop)
        except _NcbiError as exc:
            return error_body(endpoint, str(exc))

    def _efetch(self, params: dict, drop: int) -> bytes:
        if _one(params, "WebEnv"):
            ids = self._from_history(params)
        else:
            ids = [int(v) for value in _many(params, "id") for v in value.split(",") if v.strip().isdigit()]
        if not ids:
            raise _NcbiError("Empty id list - nothing todo")
        # Unknown PMIDs are silently left out, exactly as NCBI does.
        found = [a for a in (self.corpus.get(p) for p in dict.fromkeys(ids)) if a is not None]
        found = found[:len(found) - drop] if drop else found
        body = "".join(_article_xml(a) for a in found)
        return f'<?xml version="1.0" ?>\n<PubmedArticleSet>{body}</PubmedArticleSet>\n'.encode()

    def _from_history(self, params: dict) -> list[int]:
        webenv, key = _one(params, "WebEnv"), _one(params, "query_key", "1")
        ids = self.history.get(webenv, {}).get(key)
        if ids is None:
            raise _NcbiError(f"Cannot retrieve history data. query_key: {key}, WebEnv: {webenv}")
        start, retmax = int(_one(params, "retstart", "0")), int(_one(params, "retmax", "20"))
        if start + retmax > ESEARCH_CAP:
            raise _NcbiError(HISTORY_CAP_ERROR)
        return ids[start:start + retmax]

    def _elink(self, params: dict, drop: int) -> bytes:
        cmd = _one(params, "cmd", "neighbor")
        if _one(params, "dbfrom") != "pubmed" or cmd not in ("neighbor", "neighbor_score"):
            raise _NcbiError("fake server supports dbfrom=pubmed with cmd=neighbor|neighbor_score only")
        values = [v for v in _many(params, "id") if v.strip()]
        if not values:
            raise _NcbiError("Empty id list - nothing todo")
        sets = "".join(self._linkset([v.strip() for v in value.split(",") if v.strip()], cmd == "neighbor_score")
                       for value in values)  # a comma list becomes one merged LinkSet, like NCBI
        return f'<?xml version="1.0" ?>\n<eLinkResult>{sets}</eLinkResult>\n'.encode()

    def _linkset(self, ids: list[str], scored: bool) -> str:
        id_list = "".join(f"<Id>{escape(i)}</Id>" for i in ids)
        articles = [self.corpus.get(int(i)) if i.isdigit() else None for i in ids]
        unknown = [i for i, a in zip(ids, articles) if a is None]
        similar, refs, citedin = {}, set(), set()
        for a in filter(None, articles):
            for pmid, score in [(a.pmid, 2147483647)] + list(a.similar):  # self first, like NCBI
                similar[pmid] = max(score, similar.get(pmid, 0))
            if a.in_pmc:  # pubmed_pubmed_refs comes from PMC full text only
                refs.update(a.refs)
            citedin.update(c for c in self.corpus.cited_by(a.pmid) if self.corpus.get(c).in_pmc)
        ranked = sorted(similar.items(), key=lambda kv: -kv[1])
        dbs = (_linksetdb("pubmed_pubmed", ranked, scored)
               + _linksetdb("pubmed_pubmed_citedin", [(p, 0) for p in sorted(citedin, reverse=True)], False)
               + _linksetdb("pubmed_pubmed_five", ranked[:5], scored)
               + _linksetdb("pubmed_pubmed_refs", [(p, 0) for p in sorted(refs, reverse=True)], False))
        # Approximates NCBI's per-ID complaint; the exact wording varies on NCBI's side.
        errors = "".join(f"<ERROR>Invalid uid {escape(i)} at position={ids.index(i)}</ERROR>" for i in unknown)
        return f"<LinkSet><DbFrom>pubmed</DbFrom><IdList>{id_list}</IdList>{dbs}{errors}</LinkSet>"

    def _esearch(self, params: dict, drop: int) -> bytes:
        term = _one(params, "term", "")
        if not term.strip():
            raise _NcbiError("Empty term and query_key - nothing todo")
        if term.count("(") != term.count(")") or term.count('"') % 2:
            raise _NcbiError("Invalid query")
        ids, not_found = self.corpus.search(term)
        lo, hi = _one(params, "mindate"), _one(params, "maxdate")
        if (lo or hi) and _one(params, "datetype", "pdat") == "pdat":
            lo_year, hi_year = int((lo or "0")[:4]), int((hi or "9999")[:4])
            years = {p: a.year for p in ids if (a := self.corpus.get(p)) is not None}
            ids = [p for p in ids if lo_year <= years.get(p, -1) <= hi_year]
        start, retmax = int(_one(params, "retstart", "0")), int(_one(params, "retmax", "20"))
        if start + retmax > ESEARCH_CAP:
            raise _NcbiError(HISTORY_CAP_ERROR)
        page = ids[start:start + retmax]
        history = ""
        if _one(params, "usehistory") == "y":
            with self._lock:
                webenv = _one(params, "WebEnv") or f"MCID_fake{len(self.history) + 1:06d}"
                keys = self.history.setdefault(webenv, {})
                key = str(len(keys) + 1)
                keys[key] = ids
            history = f"<QueryKey>{key}</QueryKey><WebEnv>{webenv}</WebEnv>"
        messages = ""
        if not_found:
            messages = ("<ErrorList>" + "".join(f"<PhraseNotFound>{escape(p)}</PhraseNotFound>" for p in not_found)
                        + "</ErrorList>")
        if not ids:
            messages += "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
        id_list = "".join(f"<Id>{p}</Id>" for p in page)
        return (f'<?xml version="1.0" ?>\n<eSearchResult><Count>{len(ids)}</Count><RetMax>{len(page)}</RetMax>'
                f"<RetStart>{start}</RetStart>{history}<IdList>{id_list}</IdList><TranslationSet/>"
                f"<QueryTranslation>{escape(term)}</QueryTranslation>{messages}</eSearchResult>\n").encode()


class _NcbiError(Exception):
    pass


def error_body(endpoint: str, message: str) -> bytes:
    """NCBI's error-inside-200 shape for an endpoint."""
    root = {"efetch": "eFetchResult", "elink": "eLinkResult", "esearch": "eSearchResult"}.get(endpoint, "eResult")
    return f'<?xml version="1.0" ?>\n<{root}><ERROR>{escape(message)}</ERROR></{root}>\n'.encode()


def _parse_params(query: str) -> dict:
    parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _one(params: dict, key: str, default=None):
    value = params.get(key, default)
    return value[0] if isinstance(value, list) else value


def _many(params: dict, key: str) -> list[str]:
    value = params.get(key, [])
    return value if isinstance(value, list) else [value]


class _Handler(FaultyHandler):
    def do_GET(self) -> None:
        self._serve("GET", urllib.parse.urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:
            # The client died while sending (tests/test_crash.py kills it at random): NCBI never
            # gets such a request whole, so it is neither logged nor answered.
            self.close_connection = True
            return
        form = body.decode()
        query = urllib.parse.urlsplit(self.path).query
        self._serve("POST", "&".join(q for q in (query, form) if q))

    def _serve(self, method: str, query: str) -> None:
        fake: FakeEutilsServer = self.server.fake
        entry, fault = fake._arrive(method, urllib.parse.urlsplit(self.path).path, _parse_params(query))
        kind, opts = fault or (None, {})
        try:
            self._answer(fake, entry, kind, opts)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (read timeout)
            self.close_connection = True

    def _answer(self, fake: FakeEutilsServer, entry: LoggedRequest, kind: str | None, opts: dict) -> None:
        endpoint = entry.endpoint
        if kind == "reset":
            return self._reset()
        if kind == "429":
            extra = {"Retry-After": str(opts["retry_after"])} if "retry_after" in opts else {}
            return self._send(entry, 429, "application/json", RATE_LIMIT_BODY, extra)
        if kind and kind.isdigit():
            page = f"<html><body><h1>{kind} Error</h1><p>Fake NCBI failure</p></body></html>".encode()
            return self._send(entry, int(kind), "text/html", page)
        if endpoint == "idconv":
            return self._send(entry, 200, "application/json", fake.idconv(entry.params))
        if endpoint not in ("efetch", "elink", "esearch"):
            return self._send(entry, 404, "text/html", b"<html><body>404 Not Found</body></html>")
        if kind == "slow":
            fake._stopping.wait(opts.get("delay", 2.0))
        if kind == "error200":
            body = error_body(endpoint, opts.get("message", "Unable to obtain query #1"))
        else:
            body = fake.respond(endpoint, entry.params, drop=opts.get("k", 1) if kind == "drop_records" else 0)
        if kind == "truncate" and opts.get("mode", "length") == "length":
            # Promise the whole body, send half, hang up: an incomplete read on the client side.
            self._send(entry, 200, "text/xml", body[: len(body) // 2], declared=len(body))
            self.close_connection = True
            return
        if kind == "truncate":  # mode="xml": well-formed HTTP, but the XML root is never closed
            body = body[: len(body) // 2]
        self._send(entry, 200, "text/xml", body)


try:
    import pytest

    @pytest.fixture
    def eutils_server():
        """A running FakeEutilsServer with an empty Corpus; tests fill `server.corpus`."""
        with FakeEutilsServer() as server:
            assert server.base_url.startswith("http://127.0.0.1:")
            yield server
except ImportError:  # benchmarks may run without pytest
    pass
