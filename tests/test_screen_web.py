"""Screening in Datasette: who may write (anonymous, public, non-reviewer, reviewer, CSRF missing),
one record at a time, blind review until "compare", kappa and conflicts.

The database is `litbase build` of datasets/peer-support (the seed and its 50
references, real facts); reviewers and decisions are made up here.
"""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from litbase.cli import cli
from litbase.imports.build import build
from litbase.publish.auth import ReviewersError, add_reviewer
from litbase.publish.pages import metadata_for
from litbase.publish.serve import SECRET_VARIABLE, datasette_from_environment, share_with_workers, with_reviewers
from litbase.store.schema import open_db
from litbase.model.screening import Decision
from litbase.store.screening import current_decisions, decision_history, mark_compared, record_decisions

SEED = 35392492
FIRST, SECOND = 2407665, 4071206  # the seed's first references in PMID order
PAGE = "/-/screen/kb/peer-support"
PASSWORDS = {"ana": "ana's long password", "ben": "ben's long password"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screen-web")
    build(folder / "built.db", "datasets/peer-support")
    reviewers = folder / "reviewers.txt"
    for name, password in PASSWORDS.items():
        add_reviewer(reviewers, name, password)
    return folder / "built.db", reviewers


def reviewers_metadata(reviewers, monkeypatch, public=False) -> dict:
    environ = {}
    metadata = with_reviewers(metadata_for(["kb"], public=public), reviewers, environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return metadata


@pytest.fixture
def site(built, tmp_path, monkeypatch):
    """A fresh copy of the database, served (writable) with the reviewers file."""
    path = tmp_path / "kb.db"
    shutil.copy(built[0], path)
    return Datasette([str(path)], metadata=reviewers_metadata(built[1], monkeypatch)), path


def stored(path) -> list[tuple]:
    return [(r["pmid"], r["reviewer"], r["stage"], r["decision"], r["reason"], r["note"])
            for r in current_decisions(open_db(path).conn, "peer-support")]


def run(coroutine):
    return asyncio.run(coroutine)


async def sign_in(ds, name, password=None) -> dict:
    """The cookies of a reviewer signed in through the login form (with its CSRF token)."""
    form = await ds.client.get("/-/litbase-login")
    csrf = form.cookies["ds_csrftoken"]
    response = await ds.client.post("/-/litbase-login", data={
        "name": name, "password": password or PASSWORDS[name], "next": PAGE, "csrftoken": csrf},
        cookies={"ds_csrftoken": csrf})
    assert response.status_code == 302, response.text
    assert response.headers["location"] == PAGE
    return {"ds_actor": response.cookies["ds_actor"], "ds_csrftoken": csrf}


async def decide(ds, cookies, pmid, decision, with_token=True, **fields):
    token = {"csrftoken": cookies["ds_csrftoken"]} if with_token else {}
    data = {"pmid": str(pmid), "decision": decision, "stage": "title_abstract", **token, **fields}
    return await ds.client.post(PAGE + "/decide", data=data, cookies=cookies)


def test_a_reviewer_signs_in_decides_and_the_next_undecided_record_opens(site):
    ds, path = site

    async def scenario():
        cookies = await sign_in(ds, "ana")
        page = await ds.client.get(PAGE, cookies=cookies)
        assert page.status_code == 200
        assert f'data-pmid="{SEED}"' in page.text  # the seed first: nearest the seed, then by PMID
        assert "ana: 0 of 51 decided" in page.text
        assert f'name="csrftoken" value="{cookies["ds_csrftoken"]}"' in page.text
        done = await decide(ds, cookies, SEED, "include", note="the seed itself")
        assert done.status_code == 302
        assert done.headers["location"] == f"{PAGE}?stage=title_abstract&show=undecided&pmid={FIRST}"
        done = await decide(ds, cookies, FIRST, "exclude", reason="wrong design")
        assert done.headers["location"].endswith(f"pmid={SECOND}")
        page = await ds.client.get(done.headers["location"], cookies=cookies)
        assert "ana: 2 of 51 decided" in page.text and "(1 include, 1 exclude, 0 maybe; 49 undecided)" in page.text
        return page.text

    text = run(scenario())
    assert stored(path) == [(FIRST, "ana", "title_abstract", "exclude", "wrong design", None),
                            (SEED, "ana", "title_abstract", "include", None, "the seed itself")]
    # Why the record is here: a reference of the seed, hop 1, from the seed page's list.
    assert re.search(rf"backward: cited by\s+PMID {SEED} \(seed_page\); hop 1; seed PMID {SEED}", text)


def test_a_wrong_password_gets_no_cookie(site):
    ds, _ = site

    async def scenario():
        form = await ds.client.get("/-/litbase-login")
        csrf = form.cookies["ds_csrftoken"]
        return await ds.client.post("/-/litbase-login", data={"name": "ana", "password": PASSWORDS["ben"],
                                                              "csrftoken": csrf}, cookies={"ds_csrftoken": csrf})

    response = run(scenario())
    assert response.status_code == 403
    assert "ds_actor" not in response.cookies
    assert "The name or the password is wrong." in response.text


def test_anonymous_is_refused_and_nothing_changes(site):
    ds, path = site

    async def scenario():
        page = await ds.client.get(PAGE)
        post = await ds.client.post(PAGE + "/decide", data={"pmid": str(SEED), "decision": "include"})
        compare = await ds.client.post(PAGE + "/compare", data={"stage": "title_abstract"})
        return page, post, compare

    page, post, compare = run(scenario())
    assert page.status_code == 403
    assert "Screening needs a signed-in reviewer." in page.text and 'action="/-/litbase-login"' in page.text
    assert (post.status_code, compare.status_code) == (403, 403)
    assert stored(path) == []
    assert open_db(path)["screening_comparisons"].count == 0


@pytest.mark.parametrize("actor", [
    {"id": "eve"},  # signed in, not a reviewer
    {"id": "root"},  # Datasette's root: not a reviewer either
    {"id": "ana"},  # a reviewer's name, without litbase's sign-in
    {"id": "cy", "litbase": "reviewer"},  # signed in once, no longer in the file
])
def test_a_non_reviewer_is_refused_and_nothing_changes(site, actor):
    ds, path = site

    async def scenario():
        form = await ds.client.get("/-/litbase-login")
        cookies = {"ds_actor": ds.sign({"a": actor}, "actor"), "ds_csrftoken": form.cookies["ds_csrftoken"]}
        page = await ds.client.get(PAGE, cookies=cookies)
        post = await decide(ds, cookies, SEED, "include")
        return page, post

    page, post = run(scenario())
    assert page.status_code == 403 and f"{actor['id']} is not a reviewer of this site." in page.text
    assert post.status_code == 403
    assert stored(path) == []


def test_a_post_without_the_csrf_token_is_refused(site):
    ds, path = site

    async def scenario():
        cookies = await sign_in(ds, "ana")
        missing = await decide(ds, cookies, SEED, "include", with_token=False)
        wrong = await decide(ds, cookies, SEED, "include", csrftoken="forged")
        return missing, wrong

    missing, wrong = run(scenario())
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "form-urlencoded POST field did not match cookie" in missing.text
    assert stored(path) == []


def test_every_worker_process_accepts_a_sign_in_made_in_another(built, tmp_path, monkeypatch):
    # `litbase serve --workers 2`: each worker builds its Datasette from what serve shares
    # through the environment; a reviewer signs in on one and screens on the other.
    path = tmp_path / "kb.db"
    shutil.copy(built[0], path)
    monkeypatch.delenv(SECRET_VARIABLE, raising=False)
    environ = {}
    share_with_workers([path], reviewers_metadata(built[1], monkeypatch), False, tmp_path, environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    first, second = datasette_from_environment(), datasette_from_environment()
    monkeypatch.setenv(SECRET_VARIABLE, "another run's secret")
    stranger = datasette_from_environment()

    async def scenario():
        cookies = await sign_in(first, "ana")
        page = await second.client.get(PAGE, cookies=cookies)
        done = await decide(second, cookies, SEED, "include")
        refused = await decide(stranger, cookies, FIRST, "include")
        return page, done, refused

    page, done, refused = run(scenario())
    assert page.status_code == 200 and "ana: 0 of 51 decided" in page.text
    assert done.status_code == 302
    # A cookie signed with another secret is neither a sign-in nor a CSRF token there.
    assert refused.status_code == 403
    assert stored(path) == [(SEED, "ana", "title_abstract", "include", None, None)]


def test_a_public_site_stays_read_only(built, tmp_path, monkeypatch):
    path = tmp_path / "kb.db"
    shutil.copy(built[0], path)
    # Without reviewers (as `serve --public` runs): nobody signs in, nothing is written.
    public = Datasette([], immutables=[str(path)], metadata=metadata_for(["kb"], public=True))
    # Even with a reviewers file on an immutable database, a reviewer cannot write.
    immutable = Datasette([], immutables=[str(path)], metadata=reviewers_metadata(built[1], monkeypatch))

    async def scenario():
        page = await public.client.get(PAGE)
        login = await public.client.post("/-/litbase-login", data={"name": "ana", "password": PASSWORDS["ana"]})
        post = await public.client.post(PAGE + "/decide", data={"pmid": str(SEED), "decision": "include"})
        cookies = await sign_in(immutable, "ana")
        refused = await decide(immutable, cookies, SEED, "include")
        return page, login, post, refused

    page, login, post, refused = run(scenario())
    assert page.status_code == 403 and "This site has no reviewers" in page.text
    assert login.status_code == 403 and "ds_actor" not in login.cookies
    assert post.status_code == 403
    assert refused.status_code == 403 and "kb is served read-only" in refused.text
    assert stored(path) == []
    result = CliRunner().invoke(cli, ["serve", str(path), "--public", "--reviewers", str(built[1])])
    assert (result.exit_code, result.output) == (
        1, "Error: --public serves read-only: screening with --reviewers needs a site without --public\n")


def test_the_reviewers_file_is_checked_before_serving(tmp_path):
    open_db(tmp_path / "kb.db")
    path = tmp_path / "reviewers.txt"
    add_reviewer(path, "ana", PASSWORDS["ana"])
    path.chmod(0o644)
    with pytest.raises(ReviewersError, match=f"^reviewers file {path} is readable by everyone: chmod 600 {path}$"):
        with_reviewers({}, path, {})
    served = CliRunner().invoke(cli, ["serve", str(tmp_path / "kb.db"), "--reviewers", str(path)])
    assert (served.exit_code, served.output) == (
        1, f"Error: reviewers file {path} is readable by everyone: chmod 600 {path}\n")
    path.chmod(0o600)
    path.write_text("ana:secret\n")
    with pytest.raises(ReviewersError, match="line 1: not NAME:scrypt:N:R:P:SALT:HASH"):
        with_reviewers({}, path, {})
    path.write_text("# nobody yet\n")
    with pytest.raises(ReviewersError, match="lists no reviewer"):
        with_reviewers({}, path, {})


def test_blind_until_compare_then_conflicts_and_kappa(site):
    ds, path = site

    async def scenario():
        ana, ben = await sign_in(ds, "ana"), await sign_in(ds, "ben")
        # Hand-computed: both include SEED, both exclude FIRST, ana includes SECOND and ben excludes it.
        # observed 2/3; ana include 2/3, ben include 1/3 -> expected 4/9; kappa (2/9)/(5/9) = 0.4
        for pmid, decision in ((SEED, "include"), (FIRST, "exclude"), (SECOND, "include")):
            await decide(ds, ana, pmid, decision)
        await decide(ds, ben, SEED, "include")
        for pmid in (FIRST, SECOND):
            await decide(ds, ben, pmid, "exclude", reason="not peer support", note="ben's note")
        before = (await ds.client.get(f"{PAGE}?pmid={SECOND}", cookies=ana)).text
        blind = (await ds.client.get(PAGE + "/agreement.json", cookies=ana)).json()
        conflicts_before = await ds.client.get(f"{PAGE}?show=conflicts", cookies=ana)
        compare = await ds.client.post(PAGE + "/compare", data={"stage": "title_abstract",
                                                                  "csrftoken": ana["ds_csrftoken"]}, cookies=ana)
        after = (await ds.client.get(f"{PAGE}?pmid={SECOND}", cookies=ana)).text
        seen = (await ds.client.get(PAGE + "/agreement.json", cookies=ana)).json()
        html = (await ds.client.get(PAGE + "/agreement", cookies=ana)).text
        still_blind = (await ds.client.get(f"{PAGE}?pmid={SECOND}", cookies=ben)).text
        return before, blind, conflicts_before, compare, after, seen, html, still_blind

    before, blind, conflicts_before, compare, after, seen, html, still_blind = run(scenario())
    assert "ben" not in before and "not peer support" not in before and "Compare with the other reviewers" in before
    assert blind["stages"][0] == {"stage": "title_abstract", "blind": True, "compared_at": None, "reviewers": {},
                                  "agreement": None, "conflicts": []}
    assert ">conflicts<" not in conflicts_before.text  # no conflicts filter while blind
    assert compare.status_code == 302
    assert compare.headers["location"] == PAGE + "/agreement?stage=title_abstract"
    assert "ben: exclude (not peer support), ben&#39;s note" in after and "reviewers disagree" in after
    stage = seen["stages"][0]
    assert stage["blind"] is False and stage["compared_at"]
    assert stage["reviewers"] == {"ana": {"include": 2, "exclude": 1, "maybe": 0},
                                  "ben": {"include": 1, "exclude": 2, "maybe": 0}}
    assert stage["agreement"]["method"] == "cohen" and stage["agreement"]["records"] == 3
    assert (stage["agreement"]["kappa"], stage["agreement"]["observed"], stage["agreement"]["expected"]) == (
        0.4, 0.6667, 0.4444)
    assert stage["agreement"]["table"] == {"include": {"include": 1, "exclude": 1, "maybe": 0},
                                           "exclude": {"include": 0, "exclude": 1, "maybe": 0},
                                           "maybe": {"include": 0, "exclude": 0, "maybe": 0}}
    assert stage["conflicts"] == [SECOND]
    assert "Cohen's kappa\n  <strong>0.400</strong>" in html and f"PMID {SECOND}</a>" in html
    assert "ana: include" not in still_blind  # ben has not compared: still blind
    db = open_db(path)
    assert [(r["reviewer"], r["stage"]) for r in db["screening_comparisons"].rows] == [("ana", "title_abstract")]


def test_a_mistake_is_shown_and_stores_nothing(site):
    ds, path = site

    async def scenario():
        cookies = await sign_in(ds, "ana")
        wrong = await decide(ds, cookies, SEED, "include", reason="wrong design")
        page = await ds.client.get(wrong.headers["location"], cookies={**cookies, **wrong.cookies})
        outside = await decide(ds, cookies, 1, "include")
        return wrong, page, outside

    wrong, page, outside = run(scenario())
    assert wrong.status_code == 302 and wrong.headers["location"].endswith(f"pmid={SEED}")
    assert "a reason goes with exclude or maybe, not include" in page.text
    assert outside.status_code == 302
    assert stored(path) == []
    assert decision_history(open_db(path).conn, "peer-support", SEED) == []


def test_the_menu_offers_sign_in_then_screening(site):
    ds, _ = site

    async def scenario():
        anonymous = await ds.client.get("/")
        cookies = await sign_in(ds, "ana")
        reviewer = await ds.client.get("/", cookies=cookies)
        index = await ds.client.get("/-/screen/kb", cookies=cookies)
        metadata = await ds.client.get("/-/metadata.json")
        return anonymous.text, reviewer.text, index.text, metadata.text

    anonymous, reviewer, index, metadata = run(scenario())
    assert 'href="/-/litbase-login">Sign in to screen' in anonymous
    assert "reviewers.txt" not in metadata and '"$env": "LITBASE_REVIEWERS_FILE"' in metadata  # no path shown
    assert 'href="/-/screen/kb">Screen kb' in reviewer
    assert f'<a href="{PAGE}">peer-support</a>' in index and "(51 articles)" in index


def test_three_reviewers_get_fleiss_kappa(site):
    ds, path = site
    db = open_db(path)
    # Hand-computed: SEED all three include (P=1); FIRST 2 exclude + 1 include (P=(4+1-3)/6=1/3);
    # P-bar = 2/3; include 4/6, exclude 2/6 -> P-e = 16/36 + 4/36 = 5/9; kappa = (2/3-5/9)/(4/9) = 0.25
    record_decisions(db, [Decision("peer-support", SEED, name, "include") for name in ("ana", "ben", "cy")]
                     + [Decision("peer-support", FIRST, "ana", "exclude"), Decision("peer-support", FIRST, "ben", "exclude"),
                        Decision("peer-support", FIRST, "cy", "include")])
    mark_compared(db, "peer-support", "ana", "title_abstract")

    async def scenario():
        cookies = await sign_in(ds, "ana")
        return ((await ds.client.get(PAGE + "/agreement.json", cookies=cookies)).json(),
                (await ds.client.get(PAGE + "/agreement", cookies=cookies)).text)

    seen, html = run(scenario())
    agreement = seen["stages"][0]["agreement"]
    assert (agreement["method"], agreement["reviewers"], agreement["records"]) == ("fleiss", ["ana", "ben", "cy"], 2)
    assert (agreement["observed"], agreement["expected"], agreement["kappa"]) == (0.6667, 0.5556, 0.25)
    assert agreement["table"] == {"ratings_per_category": {"include": 4, "exclude": 2, "maybe": 0},
                                  "raters_per_record": 3}
    assert "Fleiss's kappa" not in html and "Fleiss'" in html and "<strong>0.250</strong>" in html
    assert seen["stages"][1]["blind"] is True  # full text: ana has not compared there


@pytest.mark.parametrize("target, location", [
    (PAGE, PAGE), ("//evil.example/", "/"), ("/\\evil.example/", "/"), ("https://evil.example/", "/")])
def test_sign_in_sends_a_reviewer_only_to_a_page_of_this_site(site, target, location):
    ds, _ = site

    async def scenario():
        return await ds.client.post("/-/litbase-login", data={"name": "ana", "password": PASSWORDS["ana"],
                                                              "next": target})

    assert run(scenario()).headers["location"] == location


def test_an_unknown_collection_is_404_and_a_get_on_a_write_route_is_405(site):
    ds, _ = site

    async def scenario():
        cookies = await sign_in(ds, "ana")
        return (await ds.client.get("/-/screen/kb/nope", cookies=cookies),
                await ds.client.get(PAGE + "/decide", cookies=cookies))

    missing, get = run(scenario())
    assert missing.status_code == 404 and "no collection named &#39;nope&#39; with members in kb" in missing.text
    assert get.status_code == 405
