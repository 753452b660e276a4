"""Field extractors for PubMed XML: text flattening, dates, names, references.

Each helper takes a finished lxml element from ``parse_pubmed`` and returns
plain Python values. They walk direct children instead of running XPath per
field: a PubMed baseline file holds tens of thousands of records, and one
pass over each element's children is what keeps the parser near the speed of
bare ``iterparse``. The two long lists, authors and references, go further:
``iter(tags)`` visits only the elements they read, matched in C, so lxml
builds no Python object for the containers in between.
"""

from __future__ import annotations

import re

from litbase.parse.pubmed_blanks import BlankMayBeLost, blanks_are_kept

_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_MTEXT = _MATHML + "mtext"

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)}
_MONTH_RE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_LAYOUT_SPACE = re.compile(r"[ \t\n\r]{2,}|[\t\n\r]")
_ORCID_RE = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])")


def to_int(value: str | None) -> int | None:
    """``int(value)``, or None when the text is missing or not a number."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def text_of(el) -> str | None:
    """Text of ``el`` with inline markup flattened and whitespace collapsed.

    Returns None for a missing or empty element. Raises ``BlankMayBeLost``
    when the parser may have dropped a space inside the markup; the caller
    reads the record again with blanks kept.
    """
    if el is None:
        return None
    if len(el) == 0:
        text = el.text
    else:
        parts: list[str] = []
        gaps: list[int] = []
        _collect(el, parts, gaps)
        if gaps:
            _check_gaps(el, parts, gaps)
        text = "".join(parts)
    if not text:
        return None
    # Newlines, tabs and runs of spaces are layout (MathML arrives indented,
    # some records wrap lines); no-break and thin spaces are content and stay.
    # The membership tests are cheap scans that spare most texts the regex.
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        text = _LAYOUT_SPACE.sub(" ", text)
    return text.strip(" ") or None


def _collect(el, parts: list[str], gaps: list[int]) -> None:
    """Append the text of ``el`` to ``parts``; note in ``gaps`` where a blank may be gone.

    The parser drops whitespace-only text between the children of an element
    that starts with a tag (see parse_pubmed_blanks), so each such place is a
    gap: the index in ``parts`` where a space may have stood.
    """
    text = el.text
    if text:
        parts.append(text)
    # Only an element whose first child is a tag can have lost a blank.
    may_have_lost = not text
    child = None
    previous = text
    for child in el:
        if may_have_lost and not previous:
            gaps.append(len(parts))
        tag = child.tag
        # Comments, processing instructions and entity references left
        # unresolved on purpose (XXE) have a non-string tag; they give no text.
        if tag.__class__ is str:
            if tag.startswith(_MATHML):
                _collect_math(child, parts)
            else:
                _collect(child, parts, gaps)
        previous = child.tail
        if previous:
            parts.append(previous)
    if may_have_lost and child is not None and not previous:
        gaps.append(len(parts))


_LAYOUT_CHARACTERS = " \t\n\r"


def _check_gaps(el, parts: list[str], gaps: list[int]) -> None:
    """Raise BlankMayBeLost unless every gap is harmless.

    A gap at either end is stripped anyway, and one beside layout whitespace
    collapses into it: "<b><i>Aim:</i></b> The ..." reads the same with or
    without a blank inside the <b>. Between two words it is not harmless.
    """
    for index in gaps:
        if (0 < index < len(parts)
                and parts[index - 1][-1] not in _LAYOUT_CHARACTERS
                and parts[index][0] not in _LAYOUT_CHARACTERS
                and not blanks_are_kept(el)):
            raise BlankMayBeLost(el.tag)


def _collect_math(el, parts: list[str]) -> None:
    # Inside MathML only indentation is whitespace-only, except <mtext> whose
    # single space separates symbols ("He3/Xe129 MRI").
    text = el.text
    if text and (el.tag == _MTEXT or not text.isspace()):
        parts.append(text)
    for child in el:
        if child.tag.__class__ is str:
            _collect_math(child, parts)
        tail = child.tail
        if tail and not tail.isspace():
            parts.append(tail)


def month_number(value: str | None) -> int | None:
    """Month 1-12 from "Apr", "April", "04" or "4"; None otherwise."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(value[:3].lower())


def parse_date(el) -> tuple[int | None, int | None, int | None, str | None]:
    """(year, month, day, as printed) from a PubDate-like element.

    ``MedlineDate`` ranges ("2016 Jul-Sep", "1998 Dec-1999 Jan") give the
    first year and first month, no day, and are printed verbatim.
    """
    if el is None:
        return None, None, None, None
    year = month = day = season = None
    for child in el:
        tag = child.tag
        if tag == "Year":
            year = child.text
        elif tag == "Month":
            month = child.text
        elif tag == "Day":
            day = child.text
        elif tag == "Season":
            season = child.text
        elif tag == "MedlineDate":
            printed = text_of(child)
            if not printed:
                return None, None, None, None
            found_year = _YEAR_RE.search(printed)
            found_month = _MONTH_RE.search(printed)
            return (
                int(found_year.group(1)) if found_year else None,
                _MONTHS[found_month.group(1).lower()] if found_month else None,
                None,
                printed,
            )
    year_number = to_int(year)
    month_int = month_number(month)
    day_number = to_int(day)
    pieces = []
    if year:
        pieces.append(year.strip())
    if month_int:
        pieces.append(MONTH_NAMES[month_int - 1])
    elif month and month.strip():
        pieces.append(month.strip())
    if day_number:
        pieces.append(str(day_number))
    if season and season.strip():
        pieces.append(season.strip())
    return year_number, month_int, day_number, " ".join(pieces) or None


def iso_date(el) -> str | None:
    """"YYYY-MM-DD" from an element with Year/Month/Day children."""
    if el is None:
        return None
    parts = [child.text for child in el]
    # DateRevised and friends are three zero-padded numbers in practice;
    # anything else takes the general path below.
    if len(parts) == 3 and all(p and p.isdigit() for p in parts) and len(parts[0]) == 4:
        year, month, day = parts
        if len(month) == 2 and len(day) == 2:
            return f"{year}-{month}-{day}"
    year, month, day, _ = parse_date(el)
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def normalise_orcid(value: str | None) -> str | None:
    """Bare ORCID iD (0000-0002-1825-0097) from any form PubMed prints.

    PubMed carries "0000-0002-1825-0097", "https://orcid.org/0000-...",
    "http://orcid.org/..." and occasionally the 16 characters without hyphens.
    Anything that is not an ORCID iD gives None rather than a guess.
    """
    if not value:
        return None
    found = _ORCID_RE.search(value.strip().upper())
    if found is None:
        return None
    return "-".join(found.groups())


# Elements parse_authors reads. Iterating over them by tag, in C, skips the
# element objects lxml would build for every AffiliationInfo and for the
# child loop of every Author: about a tenth of the cost of reading authors.
_AUTHOR_TAGS = ("Author", "LastName", "ForeName", "Initials", "Suffix", "CollectiveName",
                "Identifier", "Affiliation")


def parse_authors(author_list) -> list[dict]:
    """Authors of one AuthorList, in byline order.

    Entries marked ValidYN="N" are skipped: NLM keeps them only to record a
    name that was printed wrongly, next to the corrected entry. A name part
    or an affiliation belongs to the Author it sits in, at any depth.
    """
    authors: list[dict] = []
    author = None
    for el in author_list.iter(_AUTHOR_TAGS):
        tag = el.tag
        if tag == "Author":
            if el.get("ValidYN") == "N":
                author = None
                continue
            author = {
                "position": len(authors) + 1,
                "last_name": None,
                "fore_name": None,
                "initials": None,
                "suffix": None,
                "collective_name": None,
                "orcid": None,
                "affiliations": [],
            }
            authors.append(author)
        elif author is None:
            continue
        # text_of, not .text: real files carry layout-only values such as
        # <Suffix>\n\t\t\t\t</Suffix>, which must read as None.
        elif tag == "LastName":
            author["last_name"] = text_of(el)
        elif tag == "ForeName":
            author["fore_name"] = text_of(el)
        elif tag == "Initials":
            author["initials"] = text_of(el)
        elif tag == "Affiliation":
            affiliation = text_of(el)
            if affiliation:
                author["affiliations"].append(affiliation)
        elif tag == "Identifier":
            if author["orcid"] is None and el.get("Source") == "ORCID":
                author["orcid"] = normalise_orcid(el.text)
        elif tag == "Suffix":
            author["suffix"] = text_of(el)
        elif tag == "CollectiveName":
            author["collective_name"] = text_of(el)
    return authors


def parse_article_ids(id_list) -> dict[str, str]:
    """{IdType: value} of an ArticleIdList; the first value of a type wins."""
    ids: dict[str, str] = {}
    for article_id in id_list:
        id_type = article_id.get("IdType")
        value = article_id.text
        if id_type and value and id_type not in ids:
            value = value.strip()
            if value:
                ids[id_type] = value
    return ids


def normalise_pmcid(value: str | None) -> str | None:
    """"PMC8963728" whether PubMed printed the prefix or not."""
    if not value:
        return None
    value = value.strip().upper()
    if value.isdigit():
        return "PMC" + value
    return value if value.startswith("PMC") else None


# What add_reference_list reads: a baseline file holds hundreds of thousands
# of references, and visiting only these elements (no ArticleIdList, no child
# loop per Reference) makes reading them about a quarter cheaper.
_REFERENCE_TAGS = ("Reference", "Citation", "ArticleId")


def add_reference_list(ref_list, references: list[dict]) -> None:
    """Append the Reference entries of a ReferenceList, nested lists included.

    Positions continue across every list of the article, so they stay
    1-based and unique within the "reference_list" source. A Citation or an
    ArticleId belongs to the Reference it sits in; the first identifier of
    each type wins.
    """
    reference = None
    for el in ref_list.iter(_REFERENCE_TAGS):
        tag = el.tag
        if tag == "Reference":
            reference = {
                "position": len(references) + 1,
                "citation": None,
                "pmid": None,
                "doi": None,
                "pmcid": None,
                "source": "reference_list",
            }
            references.append(reference)
        elif reference is None:
            continue
        elif tag == "Citation":
            reference["citation"] = text_of(el)
        else:
            id_type = el.get("IdType")
            if id_type == "pubmed":
                if reference["pmid"] is None:
                    reference["pmid"] = to_int(el.text)
            elif id_type == "doi":
                if reference["doi"] is None and el.text:
                    reference["doi"] = el.text.strip() or None
            elif id_type == "pmc":
                if reference["pmcid"] is None:
                    reference["pmcid"] = normalise_pmcid(el.text)


def parse_comments_corrections(cc_list) -> tuple[list[dict], list[dict]]:
    """(references from RefType="Cites", every other notice) of a list."""
    cites: list[dict] = []
    notices: list[dict] = []
    for item in cc_list:
        if item.tag != "CommentsCorrections":
            continue
        citation = pmid = None
        for child in item:
            if child.tag == "RefSource":
                citation = text_of(child)
            elif child.tag == "PMID":
                pmid = to_int(child.text)
        ref_type = item.get("RefType")
        if ref_type == "Cites":
            cites.append({
                "position": len(cites) + 1,
                "citation": citation,
                "pmid": pmid,
                "doi": None,
                "pmcid": None,
                "source": "comments_corrections",
            })
        else:
            notices.append({"ref_type": ref_type, "pmid": pmid, "citation": citation})
    return cites, notices


# What parse_mesh_headings reads. MeSH is the longest list in older records
# (ten headings an article in a 2020 baseline file); matching these tags in C
# spares a Python loop over each heading's children.
_MESH_TAGS = ("MeshHeading", "DescriptorName", "QualifierName")


def parse_mesh_headings(mesh_list) -> list[dict]:
    """MeSH headings; a major qualifier gets a "*" suffix, as PubMed prints it.

    A QualifierName belongs to the DescriptorName before it in the same
    MeshHeading (the DTD puts the descriptor first); a heading without a
    descriptor is dropped with its qualifiers.
    """
    headings: list[dict] = []
    qualifiers = None
    for el in mesh_list.iter(_MESH_TAGS):
        tag = el.tag
        # MeSH names are controlled vocabulary, never marked up: .text is
        # exact and much cheaper than flattening.
        if tag == "DescriptorName":
            if qualifiers is not None:
                continue  # a second descriptor in one heading: the first wins
            qualifiers = []
            headings.append({
                "descriptor_ui": el.get("UI"),
                "descriptor": el.text,
                "major_topic": el.get("MajorTopicYN") == "Y",
                "qualifiers": qualifiers,
            })
        elif tag == "QualifierName":
            if qualifiers is not None:
                name = el.text
                if name:
                    qualifiers.append(name + "*" if el.get("MajorTopicYN") == "Y" else name)
        else:
            qualifiers = None
    return headings


def parse_abstract(abstract) -> tuple[str | None, list[dict], str | None]:
    """(abstract text, sections, copyright) of an Abstract element.

    Sections join as "LABEL: text" paragraphs; an unlabelled section is its
    text alone.
    """
    sections: list[dict] = []
    copyright_text = None
    for child in abstract:
        tag = child.tag
        if tag == "AbstractText":
            text = text_of(child)
            if text is None:
                continue
            sections.append({
                "label": child.get("Label") or None,
                "nlm_category": child.get("NlmCategory") or None,
                "text": text,
            })
        elif tag == "CopyrightInformation":
            copyright_text = text_of(child)
    if not sections:
        return None, sections, copyright_text
    joined = "\n".join(
        f"{section['label']}: {section['text']}" if section["label"] else section["text"]
        for section in sections
    )
    return joined, sections, copyright_text
