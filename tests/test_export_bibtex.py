"""BibTeX: exact entries, escaping, balanced braces, cite keys; bibtexparser and pybtex agree."""

import bibtexparser
import pybtex.database
from bib_fixtures import PMIDS, bib_db  # noqa: F401  (fixture)

from litbase.model.citekeys import disambiguate, key_base, suffix
from litbase.store.load import load_articles
from litbase.formats.writers.bibtex import write_bibtex
from litbase.formats.writers.latex import approximation, braces_pair, latex_escape

FIRST_ENTRY = r"""@article{muller2021peera,
  author = {M{\"u}ller, Hans and Nilsen, {\O}yvind and Garc{\'i}a, Jos{\'e}},
  title = {{Peer support \{and\} burnout: 50\% \& \$5 \#1 a\_b \textasciitilde{}x\textasciicircum{}2 \textbackslash{} in r{\'e}sidents}},
  journal = {Journal of Synthetic Tests},
  shortjournal = {J Synth Tests},
  year = {2021},
  month = mar,
  date = {2021-03-04},
  volume = {12},
  number = {3},
  pages = {100-110},
  doi = {10.5555/synth.990101},
  eprint = {990101},
  eprinttype = {pubmed},
  note = {PMCID: PMC9990101},
  issn = {1234-5678},
  language = {English},
  keywords = {Internship and Residency, Education{\quotesinglbase} Medical{\quotesinglbase} Graduate, peer support},
  abstract = {BACKGROUND: Made up for a test.
RESULTS: None at all.},
  url = {https://pubmed.ncbi.nlm.nih.gov/990101/},
}
"""

KEYS = ["muller2021peera", "muller2021peerb", "smith2022review", "doe2019burnout",
        "synthetic2020unbalanced"]


def bibtex(db):
    return "".join(write_bibtex(load_articles(db, PMIDS)))


def test_first_entry_exact(bib_db):
    assert bibtex(bib_db).split("\n\n")[0] + "\n" == FIRST_ENTRY


def test_chapter_group_author_suffix_and_article_number(bib_db):
    entries = bibtex(bib_db).split("\n\n")
    assert entries[2].splitlines()[9:12] == [
        "  pages = {e10728},", "  eid = {e10728},", "  doi = {10.5555/synth.990103},"]
    assert entries[2].splitlines()[-3] == "  language = {English and French},"
    assert entries[3].splitlines()[:4] == [
        "@incollection{doe2019burnout,",
        "  author = {Doe, Jane},",
        "  title = {{Burnout in residency}},",
        "  booktitle = {{Handbook of Synthetic Medicine}},",
    ]
    assert entries[4].splitlines()[1:3] == [
        "  author = {{Synthetic Study Group} and King, Jr, Martin},",
        r"  title = {{Unbalanced $\rbrace$ brace in a title}},",
    ]


def test_every_field_has_balanced_braces(bib_db):
    library = bibtexparser.parse_string(bibtex(bib_db))
    values = [field.value for entry in library.entries for field in entry.fields]
    # 81 before: five pmid fields and a pmcid left (biber's data model has
    # neither), the PMCID went to a note.
    assert len(values) == 76
    assert [v for v in values if not braces_pair(v)] == []


def test_latex_escape_rules():
    assert latex_escape("a {b} c") == r"a \{b\} c"
    assert latex_escape("a } c") == r"a $\rbrace$ c"
    assert latex_escape("García Jiří") == r"Garc{\'i}a Ji{\v{r}}{\'i}"
    assert latex_escape("Øyvind Müller") == r"{\O}yvind M{\"u}ller"
    assert latex_escape("Øyvind Müller", unicode=True) == "Øyvind Müller"
    # No LaTeX name that reads back: the character as UTF-8 (the @preamble tells pdflatex
    # to print "?" for it; see test_export_lossless), never a macro in the field.
    assert latex_escape("中文 100%") == "中文 100\\%"
    assert latex_escape("中文 100%", unicode=True) == r"中文 100\%"


def test_characters_other_than_accented_latin_letters_go_out_as_themselves():
    """PMIDs 32830646 (U+FB01), 32738206 (V + U+0307), 33188909 (U+2206 INCREMENT, not
    Greek Delta), 33826177 (U+FF05: a bare % would end the line as a comment), and Greek
    and math, which Zotero's import kept as LaTeX text ("\\ensuremath\\alphaB" for
    {\\ensuremath{\\alpha}}B in 584 titles of pubmed21n1298): UTF-8 in the field, which
    Zotero, pandoc, biber and litbase's reader take as it is; what pdflatex prints for each
    is in the @preamble. Accented Latin letters stay LaTeX, which classic BibTeX sorts."""
    assert latex_escape("ﬁ") == "ﬁ"
    assert latex_escape("V\u0307O2") == "V\u0307O2"
    assert latex_escape("∆NS1 ΔNS1 α ≥ ±") == "∆NS1 ΔNS1 α ≥ ±"
    assert latex_escape("95％ CI") == "95％ CI"
    assert latex_escape("%\u0301") == "\\%\u0301"  # an ASCII special under a mark stays escaped
    assert latex_escape("ő ė ẩ") == "ő ė ẩ"  # accents Zotero's import does not read
    assert latex_escape("Bořivoj Øyvind ç") == r"Bo{\v{r}}ivoj {\O}yvind {\c{c}}"
    assert latex_escape("Pałȩga") == r"Pa{\l}ȩga"  # PMID 34093277: Zotero kept \c{e} as "\c e"
    # PMIDs 33416177 ("TELO2"), 34018149 ("STELLA-LONG"): Zotero's import turns "TEL"
    # anywhere into U+2121, and "!!" into U+203C; a {} between keeps the text.
    assert latex_escape("TELO2, STELLA; wow!! ?!") == "T{}ELO2, ST{}ELLA; wow!{}! ?{}!"
    assert latex_escape("8\u2005weeks 16\u00a0weeks") == "8\u2005weeks 16\u00a0weeks"
    assert latex_escape("SPIE--the ''x''") == "SPIE-{}-the '{}'x'{}'"
    # Line breaks other than \n and control characters are whitespace to every reader.
    assert latex_escape("a\u2028b\x1fc\td") == "a b c d"
    assert {c: approximation(c) for c in "ﬁ∆％中\u0307"} == {
        "ﬁ": "fi", "∆": r"\ensuremath{\Delta}", "％": r"\%", "中": "?",
        "\u0307": r"\ensuremath{\dot{}}"}


def test_preamble_tells_pdflatex_what_to_print_for_each_character():
    text = "".join(write_bibtex([{"pmid": 1, "title": "ﬁne 中", "year": 2020,
                                  "authors": [{"last_name": "Doe", "fore_name": "J"}]}]))
    assert text.endswith(
        '@preamble{"\\providecommand{\\litbaseChar}[2]{\\expandafter\\ifx\\csname '
        'u8:\\detokenize{#1}\\endcsname\\relax\\expandafter\\def\\csname u8:\\detokenize{#1}'
        '\\endcsname{#2}\\fi}\\litbaseChar{中}{{?}}\\litbaseChar{ﬁ}{{fi}}"}\n')
    assert "litbase" not in text.split("@preamble")[0]
    plain = "".join(write_bibtex([{"pmid": 1, "title": "fine", "year": 2020}]))
    assert "@preamble" not in plain


def test_cite_keys_stable_and_disambiguated(bib_db):
    assert [a["cite_key"] for a in load_articles(bib_db, PMIDS)] == KEYS
    # A subset keeps the keys the whole database gives.
    assert [a["cite_key"] for a in load_articles(bib_db, [990102])] == ["muller2021peerb"]
    assert key_base("Øyvind-Nilsen", 2020, "The Ärzte: a study") == "oyvindnilsen2020arzte"
    assert key_base(None, None, None) == "anonnduntitled"
    assert disambiguate({5: "x2020a", 3: "x2020a", 9: "y"}) == {3: "x2020aa", 5: "x2020ab",
                                                                 9: "y"}
    assert [suffix(i) for i in (0, 25, 26, 27)] == ["a", "z", "aa", "ab"]


def test_keys_unique_without_database():
    articles = [{"title": "Same start", "year": 2020, "authors": [{"last_name": "Roe"}]}] * 3
    keys = [line for line in "".join(write_bibtex(articles)).splitlines() if line.startswith("@")]
    assert keys == ["@article{roe2020same,", "@article{roe2020sameb,", "@article{roe2020samec,"]


def test_bibtexparser_reads_every_entry(bib_db):
    library = bibtexparser.parse_string(bibtex(bib_db))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == KEYS
    assert [e.entry_type for e in library.entries] == [
        "article", "article", "article", "incollection", "article"]
    assert library.entries[0].fields_dict["doi"].value == "10.5555/synth.990101"


def test_pybtex_reads_every_entry(bib_db):
    data = pybtex.database.parse_string(bibtex(bib_db), "bibtex")
    assert list(data.entries) == KEYS
    first = data.entries["muller2021peera"]
    assert [str(p) for p in first.persons["author"]] == [
        r'M{\"u}ller, Hans', r"Nilsen, {\O}yvind", r"Garc{\'i}a, Jos{\'e}"]
    assert first.fields["month"] == "March"
    group = data.entries["synthetic2020unbalanced"].persons["author"]
    assert [str(p) for p in group] == ["{Synthetic Study Group}", "King, Jr, Martin"]
