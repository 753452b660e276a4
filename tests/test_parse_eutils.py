"""parse_elink / parse_esearch on real NCBI responses (Biopython's fixtures) and hand-written XML."""

from pathlib import Path

import pytest

from litbase.parse.eutils import EutilsReplyError, parse_elink, parse_esearch

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "entrez-samples"


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path.read_bytes()


def test_elink1_refs_citedin_and_similar():
    # elink dbfrom=pubmed id=9298984 cmd=neighbor (SOURCES.md)
    (ls,) = parse_elink(sample("elink1.xml"))
    assert (ls["pmid"], ls["pmids"], ls["error"]) == (9298984, [9298984], None)
    assert len(ls["refs"]) == 56 and ls["refs"][:3] == [14732139, 8909532, 8898221]
    assert ls["refs"][-1] == 1339459
    assert len(ls["cited_by"]) == 39 and ls["cited_by"][:2] == [38830800, 38188366]
    assert ls["cited_by"][-1] == 9700164
    # 101 pubmed_pubmed links, the first being 9298984 itself; cmd=neighbor gives no scores.
    assert len(ls["similar"]) == 100 and ls["similar"][:2] == [(8794856, None), (9700164, None)]
    assert ls["similar"][-1] == (17333235, None)
    assert {k: len(v) for k, v in ls["other"].items()} == {
        "pubmed_pubmed_combined": 5, "pubmed_pubmed_five": 5, "pubmed_pubmed_reviews": 1,
        "pubmed_pubmed_reviews_five": 5}
    assert ls["other"]["pubmed_pubmed_reviews"] == [9298984]


def test_elink3_comma_list_merges_inputs_into_one_linkset():
    # elink dbfrom=pubmed id=11812492,11774222: the comma list NCBI merges (why we repeat id=)
    (ls,) = parse_elink(sample("elink3.xml"))
    assert (ls["pmid"], ls["pmids"]) == (11812492, [11812492, 11774222])
    assert ls["refs"] == [] and ls["cited_by"] == [18508935, 15780005, 15024419]
    assert len(ls["similar"]) == 282 and ls["similar"][0] == (39386366, None)
    assert not {11812492, 11774222} & {p for p, _ in ls["similar"]}
    assert len(ls["other"]["pubmed_pubmed_reviews"]) == 282


def test_esearch1():
    result = parse_esearch(sample("esearch1.xml"))
    ids = result.pop("ids")
    assert result == {"count": 63, "retmax": 20, "retstart": 0, "webenv": None, "query_key": None,
                      "query_translation": '"biopython"[All Fields]', "errors": [], "warnings": [],
                      "phrases_not_found": []}
    assert len(ids) == 20 and (ids[0], ids[-1]) == (41282813, 37810457)


def test_esearch2_history():
    result = parse_esearch(sample("esearch2.xml"))
    assert (result["count"], result["retmax"], result["query_key"], result["webenv"]) == (
        42249, 100, "1", "MCID_6927d6e7fee3e90f880ec190")
    assert len(result["ids"]) == 100 and (result["ids"][0], result["ids"][-1]) == (41297076, 41296368)
    assert result["query_translation"].endswith("AND 2025/09/27:2025/11/26[Date - Entry]")


def test_esearch8_phrase_not_found_is_reported_not_raised():
    result = parse_esearch(sample("esearch8.xml"))
    assert (result["count"], result["ids"], result["query_translation"]) == (0, [], "(abcXYZ[All Fields])")
    assert result["errors"] == ["PhraseNotFound: abcXYZ"]
    assert result["phrases_not_found"] == ["abcXYZ"]
    assert result["warnings"] == ["OutputMessage: No items found."]


SCORED = b"""<?xml version="1.0" ?>
<eLinkResult>
  <LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>10</Id></IdList>
    <LinkSetDb><DbTo>pubmed</DbTo><LinkName>pubmed_pubmed</LinkName>
      <Link><Id>10</Id><Score>2147483647</Score></Link>
      <Link><Id>30</Id><Score>4000</Score></Link>
      <Link><Id>20</Id><Score>3999</Score></Link>
    </LinkSetDb>
    <LinkSetDb><DbTo>pubmed</DbTo><LinkName>pubmed_pubmed_refs</LinkName>
      <Link><Id>5</Id></Link><Link><Id>4</Id></Link>
    </LinkSetDb>
    <LinkSetDb><DbTo>pmc</DbTo><LinkName>pubmed_pmc_refs</LinkName><Link><Id>777</Id></Link></LinkSetDb>
  </LinkSet>
  <LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>11</Id></IdList></LinkSet>
  <LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>12</Id></IdList><ERROR>Invalid uid 12 at position=0</ERROR></LinkSet>
</eLinkResult>"""


def test_elink_scores_empty_linkset_and_per_id_error():
    first, empty, unknown = parse_elink(SCORED)
    assert first == {"pmid": 10, "pmids": [10], "refs": [5, 4], "cited_by": [],
                     "similar": [(30, 4000), (20, 3999)], "other": {"pubmed_pmc_refs": [777]},
                     "error": None}
    assert empty == {"pmid": 11, "pmids": [11], "refs": [], "cited_by": [], "similar": [],
                     "other": {}, "error": None}
    assert (unknown["pmid"], unknown["error"], unknown["refs"]) == (12, "Invalid uid 12 at position=0", [])


def test_top_level_errors_raise():
    with pytest.raises(EutilsReplyError, match="elink: NCBI error: Empty id list"):
        parse_elink(b"<eLinkResult><ERROR>Empty id list - nothing todo</ERROR></eLinkResult>")
    with pytest.raises(EutilsReplyError, match="esearch: NCBI error: Invalid query"):
        parse_esearch("<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>")


def test_wrong_document_is_rejected():
    with pytest.raises(ValueError, match="expected <eSearchResult>, got <eLinkResult>"):
        parse_esearch(b"<eLinkResult/>")


def test_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (f'<?xml version="1.0"?><!DOCTYPE eSearchResult [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
           "<eSearchResult><Count>1</Count><IdList><Id>7</Id></IdList>"
           "<QueryTranslation>a&x;b</QueryTranslation></eSearchResult>").encode()
    result = parse_esearch(xml)
    assert result["ids"] == [7] and "TOPSECRET" not in str(result)
