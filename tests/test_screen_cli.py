"""`litbase screen` and `litbase reviewers add`: decisions, CSV in and out, agreement, the reviewers file.

The collection is synthetic (three PMIDs of the peer-support dataset's shape);
the CSV files are written here in the columns Rayyan, ASReview and a
spreadsheet exchange.
"""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from litbase.cli import cli
from litbase.publish.auth import read_reviewers, sign_in, verify_password
from litbase.store.collections import add_to_collection, save_collection
from litbase.store.schema import open_db
from litbase.store.screening import current_decisions, decision_history

PEER = [4071206, 15972100, 2407665]


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "kb.db"
    db = open_db(path)
    with db.conn:
        save_collection(db, {"name": "peer", "title": "Peer support"})
        add_to_collection(db, "peer", [{"pmid": p, "role": "reference", "depth": 1, "seed_pmid": 35392492}
                                       for p in PEER])
    return path


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def rows(db_path, **where):
    return [(r["pmid"], r["reviewer"], r["stage"], r["decision"], r["reason"], r["note"])
            for r in current_decisions(open_db(db_path).conn, "peer", **where)]


def test_decisions_are_recorded_with_history_and_a_rerun_adds_nothing(db_path):
    result = run("screen", db_path, "--collection", "peer", 4071206, 15972100, "--exclude",
                 "--reason", "wrong design", "--note", "survey", "--reviewer", "ana")
    assert (result.exit_code, result.output) == (0, "peer: 2 decision(s) recorded by ana at title_abstract\n")
    again = run("screen", db_path, "--collection", "peer", 4071206, 15972100, "--exclude",
                "--reason", "wrong design", "--note", "survey", "--reviewer", "ana")
    assert again.output == "peer: 0 decision(s) recorded by ana at title_abstract, 2 unchanged\n"
    run("screen", db_path, "--collection", "peer", 4071206, "--include", "--reviewer", "ana",
        "--stage", "full_text")
    run("screen", db_path, "--collection", "peer", 4071206, "--maybe", "--reviewer", "ana")
    history = decision_history(open_db(db_path).conn, "peer", 4071206)
    assert [(r["stage"], r["decision"], r["reason"]) for r in history] == [
        ("title_abstract", "exclude", "wrong design"), ("full_text", "include", None),
        ("title_abstract", "maybe", None)]
    assert rows(db_path) == [
        (4071206, "ana", "full_text", "include", None, None),
        (4071206, "ana", "title_abstract", "maybe", None, None),
        (15972100, "ana", "title_abstract", "exclude", "wrong design", "survey")]


def test_the_reviewer_defaults_to_the_environment(db_path):
    result = CliRunner(env={"LITBASE_REVIEWER": "ben"}).invoke(
        cli, ["screen", str(db_path), "--collection", "peer", "2407665", "--include"])
    assert result.output == "peer: 1 decision(s) recorded by ben at title_abstract\n"


@pytest.mark.parametrize("args, code, message", [
    (["--collection", "peer", "4071206"], 2, "say --include, --exclude or --maybe for the PMIDs"),
    (["--collection", "peer", "--include"], 2, "--include needs one or more PMIDs"),
    (["--collection", "peer", "4071206", "--include", "--agreement"], 2, "give one of:"),
    (["--collection", "peer", "99", "--include"], 1, "Error: 1 PMID(s) not in collection 'peer': 99"),
    (["--collection", "other", "4071206", "--include"], 1, "Error: no collection named 'other'"),
    (["--collection", "peer", "4071206", "--include", "--reason", "wrong design"], 1,
     "Error: PMID 4071206: a reason goes with exclude or maybe, not include"),
    (["--collection", "peer", "10.1002/aet2.10728", "--include"], 2, "'10.1002/aet2.10728' is not a PMID"),
])
def test_mistakes_are_one_line_and_store_nothing(db_path, args, code, message):
    result = run("screen", db_path, *args, "--reviewer", "ana")
    assert result.exit_code == code
    assert message in result.output
    assert rows(db_path) == []


def test_a_reason_must_come_from_the_collections_list_once_it_has_one(db_path):
    result = run("screen", db_path, "--collection", "peer", "--reasons", "wrong population",
                 "--reasons", "wrong design")
    assert result.output == "peer: reasons wrong population; wrong design\n"
    refused = run("screen", db_path, "--collection", "peer", 4071206, "--exclude", "--reason", "too old",
                  "--reviewer", "ana")
    assert (refused.exit_code, refused.output) == (
        1, "Error: reason 'too old' is not in the list of collection 'peer': wrong population; wrong design\n")
    run("screen", db_path, "--collection", "peer", 4071206, "--exclude", "--reason", "wrong design",
        "--reviewer", "ana")
    assert rows(db_path) == [(4071206, "ana", "title_abstract", "exclude", "wrong design", None)]


def test_import_keeps_good_rows_names_bad_ones_and_is_idempotent(db_path, tmp_path):
    csv_path = tmp_path / "decisions.csv"
    csv_path.write_text(
        "PMID,Decision,Reason,Note,Reviewer\n"
        "4071206,Included,,,ana\n"  # Rayyan's word
        "15972100,exclude,wrong population,\"two lines,\nof note\",ana\n"
        "2407665,yes,,,ana\n"  # line 4-5: an unknown decision
        "99,include,,,ana\n"
        "abc,include,,,ana\n"
        "2407665,maybe,,,\n"  # no reviewer in the file: --reviewer
        "2407665,undecided,,,ben\n",  # no decision yet: not stored, not a problem
        encoding="utf-8")
    result = run("screen", db_path, "--collection", "peer", "--import", csv_path, "--reviewer", "cy")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "skipped: decisions.csv line 5: decision 'yes' is not one of include, exclude, maybe",
        "skipped: decisions.csv line 6: PMID 99 is not in collection 'peer'",
        "skipped: decisions.csv line 7: pmid 'abc' is not a PMID",
        f"{csv_path}: 3 decision(s) recorded, 0 unchanged, 1 not screened, 3 skipped",
    ]
    assert rows(db_path) == [(2407665, "cy", "title_abstract", "maybe", None, None),
                             (4071206, "ana", "title_abstract", "include", None, None),
                             (15972100, "ana", "title_abstract", "exclude", "wrong population",
                              "two lines,\nof note")]
    rerun = run("screen", db_path, "--collection", "peer", "--import", csv_path, "--reviewer", "cy")
    assert rerun.output.splitlines()[-1] == (
        f"{csv_path}: 0 decision(s) recorded, 3 unchanged, 1 not screened, 3 skipped")
    assert len(decision_history(open_db(db_path).conn, "peer", 4071206)) == 1


def test_asreview_included_column(db_path, tmp_path):
    csv_path = tmp_path / "asreview.csv"
    csv_path.write_text("record_id,title,pubmed_id,included\n1,A,4071206,1\n2,B,15972100,0\n3,C,2407665,\n",
                        encoding="utf-8")
    result = run("screen", db_path, "--collection", "peer", "--import", csv_path, "--reviewer", "asreview",
                 "--stage", "title_abstract")
    assert result.exit_code == 0
    assert rows(db_path) == [(4071206, "asreview", "title_abstract", "include", None, None),
                             (15972100, "asreview", "title_abstract", "exclude", None, None)]


def test_a_file_without_the_needed_columns_is_refused(db_path, tmp_path):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("id,label\n1,x\n", encoding="utf-8")
    result = run("screen", db_path, "--collection", "peer", "--import", csv_path)
    assert (result.exit_code, result.output) == (1, "Error: list.csv: no pmid column (the header has id, label)\n")


def test_export_then_import_elsewhere_gives_the_same_decisions(db_path, tmp_path):
    run("screen", db_path, "--collection", "peer", 4071206, "--exclude", "--reason", "wrong design",
        "--note", 'says "peer"', "--reviewer", "ana")
    run("screen", db_path, "--collection", "peer", 4071206, 15972100, "--include", "--reviewer", "ben")
    out = tmp_path / "out.csv"
    assert run("screen", db_path, "--collection", "peer", "--export", out).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "pmid,decision,reason,note,reviewer,stage,decided_at"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        '4071206,exclude,wrong design,"says ""peer""",ana,title_abstract',
        "4071206,include,,,ben,title_abstract",
        "15972100,include,,,ben,title_abstract"]
    other = tmp_path / "other.db"
    db = open_db(other)
    with db.conn:
        save_collection(db, {"name": "peer"})
        add_to_collection(db, "peer", [{"pmid": p, "role": "import", "depth": 0} for p in PEER])
    assert run("screen", other, "--collection", "peer", "--import", out).exit_code == 0
    before = current_decisions(open_db(db_path).conn, "peer")
    after = current_decisions(open_db(other).conn, "peer")
    assert [{k: v for k, v in r.items() if k != "id"} for r in after] == [
        {k: v for k, v in r.items() if k != "id"} for r in before]  # decided_at kept too


def test_agreement_against_a_hand_computed_table(db_path):
    # ana and ben on three records: agree include on 4071206, agree exclude on 15972100,
    # disagree on 2407665 (ana include, ben exclude).
    # observed 2/3; ana includes 2/3, ben 1/3; expected = 2/3*1/3 + 1/3*2/3 = 4/9;
    # kappa = (2/3 - 4/9) / (1 - 4/9) = (2/9) / (5/9) = 0.4
    run("screen", db_path, "--collection", "peer", 4071206, 2407665, "--include", "--reviewer", "ana")
    run("screen", db_path, "--collection", "peer", 15972100, "--exclude", "--reviewer", "ana")
    run("screen", db_path, "--collection", "peer", 4071206, "--include", "--reviewer", "ben")
    run("screen", db_path, "--collection", "peer", 15972100, 2407665, "--exclude", "--reviewer", "ben")
    result = run("screen", db_path, "--collection", "peer", "--agreement", "--json")
    stage = json.loads(result.output)["stages"][0]
    assert stage["stage"] == "title_abstract"
    assert stage["reviewers"] == {"ana": {"include": 2, "exclude": 1, "maybe": 0},
                                  "ben": {"include": 1, "exclude": 2, "maybe": 0}}
    assert stage["agreement"]["records"] == 3
    assert stage["agreement"]["kappa"] == 0.4
    assert stage["agreement"]["observed"] == 0.6667 and stage["agreement"]["expected"] == 0.4444
    assert stage["agreement"]["table"]["include"] == {"include": 1, "exclude": 1, "maybe": 0}
    assert stage["conflicts"] == [2407665]
    text = run("screen", db_path, "--collection", "peer", "--agreement").output
    assert text.splitlines() == [
        "peer, title_abstract:",
        "  ana: 2 include, 1 exclude, 0 maybe",
        "  ben: 1 include, 2 exclude, 0 maybe",
        "  Cohen's kappa 0.400 over 3 records decided by all (ana, ben); observed agreement 0.6667,"
        " expected by chance 0.4444",
        "  conflicts: 1 (PMIDs 2407665)",
    ]


def test_reviewers_add_writes_a_private_file_of_salted_hashes(tmp_path):
    path = tmp_path / "reviewers.txt"
    result = run("reviewers", "add", path, "ana", input="correct horse\ncorrect horse\n")
    assert result.exit_code == 0 and result.output.endswith(f"{path}: added ana\n")
    run("reviewers", "add", path, "ben", "--password", "battery staple")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert "correct horse" not in text and "battery staple" not in text
    stored = read_reviewers(path)
    assert sorted(stored) == ["ana", "ben"]
    assert stored["ana"].startswith("scrypt:16384:8:1:")
    assert verify_password("correct horse", stored["ana"]) and not verify_password("correct horsf", stored["ana"])
    assert sign_in(path, "ben", "battery staple") == {"id": "ben", "litbase": "reviewer"}
    assert sign_in(path, "ben", "correct horse") is None and sign_in(path, "eve", "battery staple") is None
    again = run("reviewers", "add", path, "ana", "--password", "new password")
    assert again.output == f"{path}: new password for ana\n"
    assert sign_in(path, "ana", "new password") == {"id": "ana", "litbase": "reviewer"}
    assert len(read_reviewers(path)) == 2


@pytest.mark.parametrize("name, password, message", [
    ("ana smith", "long enough", "Error: reviewer name 'ana smith': letters, digits, and . _ @ - (up to 64)"),
    ("ana", "short", "Error: a password needs at least 8 characters"),
])
def test_reviewers_add_refuses_a_bad_name_or_password(tmp_path, name, password, message):
    result = run("reviewers", "add", tmp_path / "r.txt", name, "--password", password)
    assert (result.exit_code, result.output) == (1, message + "\n")
    assert not (tmp_path / "r.txt").exists()


def test_a_reviewers_file_everyone_may_read_is_refused(tmp_path):
    path = tmp_path / "reviewers.txt"
    run("reviewers", "add", path, "ana", "--password", "long enough")
    path.chmod(0o644)
    result = run("reviewers", "add", path, "ben", "--password", "long enough")
    assert (result.exit_code, result.output) == (
        1, f"Error: reviewers file {path} is readable by everyone: chmod 600 {path}\n")
    assert sign_in(path, "ana", "long enough") is None


def test_rayyans_articles_csv_gives_each_reviewers_decision(db_path, tmp_path):
    # Synthetic, in the shape of Rayyan's export: decisions and reasons live in the notes column.
    csv_path = tmp_path / "articles.csv"
    csv_path.write_text(
        'key,title,pubmed_id,notes\n'
        '1,A,4071206,"RAYYAN-INCLUSION: {""Ana""=>""Included"", ""Ben""=>""Excluded""} | '
        'RAYYAN-EXCLUSION-REASONS: wrong population,wrong design"\n'
        '2,B,15972100,"RAYYAN-INCLUSION: {""Ana""=>""Maybe""} | RAYYAN-LABELS: check"\n'
        '3,C,2407665,""\n', encoding="utf-8")
    result = run("screen", db_path, "--collection", "peer", "--import", csv_path)
    assert result.output == f"{csv_path}: 3 decision(s) recorded, 0 unchanged, 1 not screened, 0 skipped\n"
    assert rows(db_path) == [(4071206, "Ana", "title_abstract", "include", None, None),
                             (4071206, "Ben", "title_abstract", "exclude", "wrong population; wrong design", None),
                             (15972100, "Ana", "title_abstract", "maybe", None, None)]
