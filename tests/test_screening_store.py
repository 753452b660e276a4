"""Screening decisions in the store, and the kappas, against hand-computed tables."""

from __future__ import annotations

import pytest

from litbase.model.screening import Decision, ScreeningError
from litbase.review.agreement import cohen_kappa, conflicts, fleiss_kappa, stage_agreement
from litbase.store.collections import add_to_collection, save_collection
from litbase.store.schema import open_db
from litbase.store.screening import (compared_at, current_decisions, decision_history, mark_compared,
                                     record_decisions, screening_queue, screening_reasons, screening_record,
                                     set_screening_reasons)


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "kb.db")
    save_collection(db, {"name": "peer", "title": "Peer support"})
    add_to_collection(db, "peer", [{"pmid": p, "role": "reference", "depth": 1, "seed_pmid": 1}
                                   for p in (11, 12, 13)])
    return db


def test_history_is_kept_and_the_latest_decision_counts(db):
    record_decisions(db, [Decision("peer", 11, "ana", "maybe", note="check design")], "2026-12-01T10:00:00Z")
    record_decisions(db, [Decision("peer", 11, "ana", "exclude", reason="wrong design")], "2026-12-02T10:00:00Z")
    record_decisions(db, [Decision("peer", 11, "ben", "include"), Decision("peer", 12, "ben", "exclude")],
                     "2026-12-02T11:00:00Z")
    history = decision_history(db.conn, "peer", 11)
    assert [(r["reviewer"], r["decision"], r["reason"], r["note"], r["decided_at"]) for r in history] == [
        ("ana", "maybe", None, "check design", "2026-12-01T10:00:00Z"),
        ("ana", "exclude", "wrong design", None, "2026-12-02T10:00:00Z"),
        ("ben", "include", None, None, "2026-12-02T11:00:00Z"),
    ]
    current = current_decisions(db.conn, "peer", "title_abstract")
    assert [(r["pmid"], r["reviewer"], r["decision"]) for r in current] == [
        (11, "ana", "exclude"), (11, "ben", "include"), (12, "ben", "exclude")]
    assert conflicts(current) == [11]
    assert current_decisions(db.conn, "peer", "full_text") == []


@pytest.mark.parametrize("decision, message", [
    (Decision("peer", 11, "ana", "keep"), "decision 'keep' is not one of include, exclude, maybe"),
    (Decision("peer", 11, "ana", "include", stage="abstract"),
     "stage 'abstract' is not one of title_abstract, full_text"),
    (Decision("peer", 11, " ", "include"), "a decision needs a reviewer name"),
    (Decision("peer", 11, "ana", "include", reason="wrong design"),
     "PMID 11: a reason goes with exclude or maybe, not include"),
    (Decision("other", 11, "ana", "include"), "no collection named 'other'"),
    (Decision("peer", 99, "ana", "include"), "1 PMID(s) not in collection 'peer': 99"),
])
def test_a_wrong_decision_is_refused_and_nothing_is_written(db, decision, message):
    with pytest.raises(ScreeningError) as error:
        record_decisions(db, [Decision("peer", 12, "ana", "include"), decision])
    assert str(error.value) == message
    assert db["screening"].count == 0


def test_reasons_keep_their_order_and_replace_the_list(db):
    set_screening_reasons(db, "peer", ["wrong population", "wrong design", "wrong population", " "])
    assert screening_reasons(db.conn, "peer") == ["wrong population", "wrong design"]
    set_screening_reasons(db, "peer", ["not peer support"])
    assert screening_reasons(db.conn, "peer") == ["not peer support"]


def test_cohen_kappa_against_a_hand_computed_table():
    # 50 records: both include 20, A include/B exclude 5, A exclude/B include 10, both exclude 15.
    # observed = 35/50 = 0.7; expected = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2/0.5 = 0.4
    pairs = ([("include", "include")] * 20 + [("include", "exclude")] * 5
             + [("exclude", "include")] * 10 + [("exclude", "exclude")] * 15)
    result = cohen_kappa(pairs, ("ana", "ben"))
    assert (result.records, result.observed, result.expected) == (50, 0.7, 0.5)
    assert result.kappa == pytest.approx(0.4)
    assert result.table["include"] == {"include": 20, "exclude": 5, "maybe": 0}


def test_fleiss_kappa_against_the_textbook_table():
    # Fleiss (1971)'s worked example as usually reprinted: 10 records, 14 raters,
    # 5 categories; P-bar = 0.378, P-bar-e = 0.213, kappa = 0.210.
    rows = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
            (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    categories = ("1", "2", "3", "4", "5")
    result = fleiss_kappa([dict(zip(categories, row)) for row in rows], categories=categories)
    assert round(result.observed, 3) == 0.378
    assert round(result.expected, 3) == 0.213
    assert round(result.kappa, 3) == 0.210


def test_stage_agreement_compares_only_records_every_reviewer_decided():
    rows = [{"pmid": 1, "reviewer": "ana", "decision": "include"},
            {"pmid": 1, "reviewer": "ben", "decision": "include"},
            {"pmid": 2, "reviewer": "ana", "decision": "exclude"},
            {"pmid": 2, "reviewer": "ben", "decision": "include"},
            {"pmid": 3, "reviewer": "ana", "decision": "exclude"}]
    two = stage_agreement(rows)
    assert (two.method, two.reviewers, two.records, two.observed) == ("cohen", ("ana", "ben"), 2, 0.5)
    three = stage_agreement(rows + [{"pmid": 1, "reviewer": "cy", "decision": "include"},
                                    {"pmid": 2, "reviewer": "cy", "decision": "exclude"}])
    # record 1: 3 of 3 include -> agreement 1; record 2: 2 exclude, 1 include -> (4+1-3)/6 = 1/3
    assert (three.method, three.records) == ("fleiss", 2)
    assert three.observed == pytest.approx((1 + 1 / 3) / 2)
    assert stage_agreement(rows[:1]) is None


def test_a_decision_identical_to_the_current_one_is_not_written_again(db):
    assert record_decisions(db, [Decision("peer", 11, "ana", "exclude", reason="wrong design")]) == 1
    assert record_decisions(db, [Decision("peer", 11, "ana", "exclude", reason="wrong design"),
                                 Decision("peer", 11, "ana", "exclude", reason="wrong design")]) == 0
    assert record_decisions(db, [Decision("peer", 11, "ana", "exclude", reason="wrong design", note="n")]) == 1
    assert record_decisions(db, [Decision("peer", 11, "ana", "exclude", stage="full_text")]) == 1
    assert [(r["stage"], r["note"]) for r in decision_history(db.conn, "peer", 11)] == [
        ("title_abstract", None), ("title_abstract", "n"), ("full_text", None)]


def test_the_full_text_queue_holds_what_someone_kept_at_title_and_abstract(db):
    add_to_collection(db, "peer", [{"pmid": 5, "role": "seed", "depth": 0, "seed_pmid": 5}])
    assert screening_queue(db.conn, "peer", "title_abstract") == [5, 11, 12, 13]
    record_decisions(db, [Decision("peer", 11, "ana", "include"), Decision("peer", 12, "ana", "exclude"),
                          Decision("peer", 12, "ben", "maybe"), Decision("peer", 13, "ana", "maybe"),
                          Decision("peer", 13, "ana", "exclude")])
    # 11 included by ana, 12 maybe by ben; 13's maybe was replaced by an exclude.
    assert screening_queue(db.conn, "peer", "full_text") == [11, 12]


def test_the_record_says_why_it_is_in_the_collection(db):
    # Synthetic: seed 1 cites 11 (two sources said so); 21 at hop 2 is cited by 11; 31 cites the seed.
    save_collection(db, {"name": "hops"})
    add_to_collection(db, "hops", [{"pmid": 1, "role": "seed", "depth": 0, "seed_pmid": 1},
                                   {"pmid": 11, "role": "reference", "depth": 1, "seed_pmid": 1},
                                   {"pmid": 21, "role": "reference", "depth": 2, "seed_pmid": 1},
                                   {"pmid": 31, "role": "citing", "depth": 1, "seed_pmid": 1}])
    with db.conn:
        db.conn.executemany("INSERT INTO citations (citing, cited, source) VALUES (?, ?, ?)",
                            [(1, 11, "pubmed_refs"), (1, 11, "icite"), (11, 21, "europepmc"), (31, 1, "citedin")])
        db.conn.execute("INSERT INTO articles (pmid, title, abstract) VALUES (21, 'A title', 'An abstract')")
        db.conn.execute("INSERT INTO mesh_terms (id, name) VALUES ('D1', 'Peer Group'), ('D2', 'Burnout')")
        db.conn.executemany("INSERT INTO articles_mesh_terms (pmid, mesh_id, major_topic) VALUES (21, ?, ?)",
                            [("D1", 0), ("D2", 1)])
    record = screening_record(db.conn, "hops", 21)
    assert (record["title"], record["abstract"], record["mesh"]) == ("A title", "An abstract", ["Burnout", "Peer Group"])
    assert record["ways"] == [{"role": "reference", "depth": 2, "seed_pmid": 1,
                               "via": [{"pmid": 11, "sources": ["europepmc"]}]}]
    assert sorted(screening_record(db.conn, "hops", 11)["ways"][0]["via"][0]["sources"]) == ["icite", "pubmed_refs"]
    assert screening_record(db.conn, "hops", 31)["ways"] == [
        {"role": "citing", "depth": 1, "seed_pmid": 1, "via": [{"pmid": 1, "sources": ["citedin"]}]}]
    assert screening_record(db.conn, "hops", 1)["ways"] == [{"role": "seed", "depth": 0, "seed_pmid": 1, "via": []}]
    assert screening_record(db.conn, "hops", 99) is None


def test_comparing_is_recorded_once(db):
    assert compared_at(db.conn, "peer", "ana", "title_abstract") is None
    mark_compared(db, "peer", "ana", "title_abstract", "2026-12-05T10:00:00Z")
    mark_compared(db, "peer", "ana", "title_abstract", "2026-12-06T10:00:00Z")
    assert compared_at(db.conn, "peer", "ana", "title_abstract") == "2026-12-05T10:00:00Z"
    assert compared_at(db.conn, "peer", "ana", "full_text") is None
