"""Screening on the web: sign in, then one record at a time, decided from the keyboard.

/-/litbase-login signs a reviewer of ``litbase serve --reviewers FILE`` in
(Datasette's signed ``ds_actor`` cookie). /-/screen/DB lists the collections;
/-/screen/DB/COLLECTION shows one record with include / exclude / maybe, a
reason and a note; /decide and /compare are the two writes, each needing the
``litbase-screen`` permission (a listed reviewer, see plugin.py), a writable
database and Datasette's CSRF token. Review is blind: a reviewer sees only
their own decisions until they press "compare" (recorded with its time in
``screening_comparisons``); then the conflicts and the kappa of that stage
are shown (``/agreement``).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote, unquote, urlencode

import sqlite_utils
from datasette.utils import baseconv
from datasette.utils.asgi import BadRequest, Forbidden, NotFound, Response

from litbase.model.screening import DECISIONS, STAGES, Decision, ScreeningError, check_reason
from litbase.publish.auth import SCREEN_ACTION, sign_in
from litbase.publish.views import requested_database
from litbase.review.agreement import conflicts, stage_summary
from litbase.store.screening import (compared_at, current_decisions, decision_history, has_members,
                                     mark_compared, record_decisions, screening_collections, screening_queue,
                                     screening_reasons, screening_record)

FILTERS = ("undecided", "include", "exclude", "maybe", "conflicts", "all")
SESSION_SECONDS = 12 * 3600  # a reviewer signs in again after a working day
OLDER = "{name} was made by an older litbase: any litbase command on it adds the screening tables"


async def forbidden_page(datasette, request, message):
    """A refused screening page says why and links to the sign-in page (status 403)."""
    reviewer = await datasette.permission_allowed(request.actor, SCREEN_ACTION, default=False)
    html = await datasette.render_template(
        "litbase_screen_login.html",
        {"next": request.full_path, "error": message, "has_reviewers": bool(reviewers_file(datasette)),
         "show_form": not reviewer and bool(reviewers_file(datasette)), "refused": True}, request=request)
    return Response.html(html, status=403)


async def unbounded(db, fn, *args):
    """``fn(conn, *args)`` in Datasette's read thread without its SQL time limit.

    Only a signed-in reviewer reaches these reads, and a large collection's
    page reads every decision of the reviewer (25,000 took 0.9 s on this
    2-core machine at a load average of 16): the limit, made to bound what
    anyone can ask of a public site, would cut a reviewer's page.
    """
    return await db.execute_fn(lambda conn: fn(conn, *args))


def reviewers_file(datasette) -> str | None:
    return (datasette.plugin_config("litbase") or {}).get("reviewers_file")


async def screening_database(datasette, request):
    """(database name, db, reviewer name): the database's own checks, then a signed-in reviewer."""
    name, db = await requested_database(datasette, request, "screening_comparisons", OLDER)
    if not await datasette.permission_allowed(request.actor, SCREEN_ACTION, resource=name, default=False):
        who = (request.actor or {}).get("id")
        raise Forbidden(f"{who} is not a reviewer of this site." if who else "Screening needs a signed-in reviewer.")
    return name, db, request.actor["id"]


async def writable(datasette, request):
    """As screening_database, for a write: the database must accept one."""
    name, db, reviewer = await screening_database(datasette, request)
    if not db.is_mutable:
        raise Forbidden(f"{name} is served read-only: decisions cannot be recorded here")
    return name, db, reviewer


def collection_of(request) -> str:
    return unquote(request.url_vars["collection"])


def page_url(datasette, name, collection, **args) -> str:
    path = datasette.urls.path(f"/-/screen/{quote(name, safe='')}/{quote(collection, safe='')}")
    args = {k: v for k, v in args.items() if v is not None}
    return path + ("?" + urlencode(args) if args else "")


def choose_stage(value) -> str:
    stage = value or STAGES[0]
    if stage not in STAGES:
        raise BadRequest(f"stage must be one of {', '.join(STAGES)}")
    return stage


def screening_state(conn, collection: str, stage: str, reviewer: str) -> dict:
    """What the page needs to place a record: the queue, my decisions, and (after compare) everyone's."""
    queue = screening_queue(conn, collection, stage)
    mine = {row["pmid"]: row for row in current_decisions(conn, collection, stage, reviewer)}
    since = compared_at(conn, collection, reviewer, stage)
    everyone = current_decisions(conn, collection, stage) if since else []
    return {"queue": queue, "mine": mine, "compared_at": since, "everyone": everyone,
            "conflicts": set(conflicts(everyone)), "reasons": screening_reasons(conn, collection)}


def filtered(state: dict, show: str) -> list[int]:
    mine, queue = state["mine"], state["queue"]
    if show == "undecided":
        return [p for p in queue if p not in mine]
    if show in DECISIONS:
        return [p for p in queue if p in mine and mine[p]["decision"] == show]
    if show == "conflicts":
        return [p for p in queue if p in state["conflicts"]]
    return list(queue)


def neighbours(queue: list[int], shown: list[int], pmid: int | None) -> tuple[int | None, int | None]:
    """The records before and after ``pmid`` among those shown (in queue order, wrapping round)."""
    if not shown:
        return None, None
    if pmid is None or pmid not in queue:
        return None, shown[0]
    place = {p: i for i, p in enumerate(queue)}
    at = place[pmid]
    after = [p for p in shown if place[p] > at] + [p for p in shown if place[p] < at]
    before = [p for p in reversed(shown) if place[p] < at] + [p for p in reversed(shown) if place[p] > at]
    return (before[0] if before else None), (after[0] if after else None)


def local_path(target: str) -> bool:
    """A path on this site: "//host" and "/\\host" are other sites to a browser."""
    return target.startswith("/") and target[1:2] not in ("/", "\\")


async def login(datasette, request):
    """GET: the sign-in form; POST: check the name and password against the reviewers file."""
    target = request.args.get("next") or ""
    error = None
    status = 200
    if request.method == "POST":
        form = await request.post_vars()
        target = form.get("next") or ""
        path = reviewers_file(datasette)
        # scrypt takes tens of milliseconds on purpose: off the event loop, so other pages go on.
        actor = await asyncio.to_thread(sign_in, path, form.get("name", "").strip(),
                                        form.get("password", "")) if path else None
        if actor:
            # Only a path on this site: a link to the sign-in page must not send a reviewer elsewhere.
            safe = target if local_path(target) else datasette.urls.instance()
            response = Response.redirect(safe)
            expires = baseconv.base62.encode(int(time.time()) + SESSION_SECONDS)
            response.set_cookie("ds_actor", datasette.sign({"a": actor, "e": expires}, "actor"),
                                httponly=True, samesite="lax")
            return response
        error = "The name or the password is wrong." if path else "This site has no reviewers."
        status = 403
    html = await datasette.render_template(
        "litbase_screen_login.html",
        {"next": target, "error": error, "has_reviewers": bool(reviewers_file(datasette)),
         "show_form": bool(reviewers_file(datasette))},
        request=request)
    return Response.html(html, status=status)


async def index(datasette, request):
    name, db, reviewer = await screening_database(datasette, request)
    collections = await unbounded(db, screening_collections)
    for collection in collections:
        collection["url"] = page_url(datasette, name, collection["name"])
    html = await datasette.render_template(
        "litbase_screen_index.html", {"database": name, "reviewer": reviewer, "collections": collections},
        request=request)
    return Response.html(html)


async def record_page(datasette, request):
    name, db, reviewer = await screening_database(datasette, request)
    collection = collection_of(request)
    stage = choose_stage(request.args.get("stage"))
    show = request.args.get("show") or "undecided"
    if show not in FILTERS:
        raise BadRequest(f"show must be one of {', '.join(FILTERS)}")
    wanted = request.args.get("pmid")
    if wanted is not None and not wanted.isdigit():
        raise BadRequest(f"pmid must be a PMID, not {wanted!r}")

    def gather(conn):
        state = screening_state(conn, collection, stage, reviewer)
        shown = filtered(state, show)
        pmid = int(wanted) if wanted and int(wanted) in state["queue"] else (shown[0] if shown else None)
        record = screening_record(conn, collection, pmid) if pmid else None
        history = [r for r in decision_history(conn, collection, pmid) if r["stage"] == stage] if pmid else []
        return state, shown, pmid, record, history

    if not await unbounded(db, has_members, collection):
        raise NotFound(f"no collection named {collection!r} with members in {name}")
    state, shown, pmid, record, history = await unbounded(db, gather)
    before, after = neighbours(state["queue"], shown, pmid)
    if show == "undecided":
        # Back goes to the record before, decided or not: going back is for changing one's mind.
        before, _ = neighbours(state["queue"], state["queue"], pmid)
    mine = state["mine"]
    blind = state["compared_at"] is None
    counts = {d: sum(1 for p in state["queue"] if p in mine and mine[p]["decision"] == d) for d in DECISIONS}
    html = await datasette.render_template("litbase_screen.html", {
        "database": name, "collection": collection, "stage": stage, "stages": STAGES, "show": show,
        "filters": FILTERS if not blind else FILTERS[:4] + FILTERS[5:], "reviewer": reviewer,
        "record": record, "pmid": pmid, "position": shown.index(pmid) + 1 if pmid in shown else None,
        "shown": len(shown), "total": len(state["queue"]), "decided": sum(counts.values()), "counts": counts,
        "current": mine.get(pmid), "reasons": state["reasons"], "blind": blind,
        "compared_at": state["compared_at"],
        # Before "compare", a reviewer's own rows only: the others' stay unseen.
        "history": [r for r in history if r["reviewer"] == reviewer or not blind],
        "others": [r for r in state["everyone"] if r["pmid"] == pmid and r["reviewer"] != reviewer],
        "in_conflict": pmid in state["conflicts"],
        "before_url": page_url(datasette, name, collection, stage=stage, show=show, pmid=before) if before else None,
        "after_url": page_url(datasette, name, collection, stage=stage, show=show, pmid=after) if after else None,
        "filter_url": lambda s: page_url(datasette, name, collection, stage=stage, show=s),
        "stage_url": lambda s: page_url(datasette, name, collection, stage=s),
        "action": page_url(datasette, name, collection) + "/decide",
        "compare_action": page_url(datasette, name, collection) + "/compare",
        "agreement_url": page_url(datasette, name, collection) + "/agreement",
        "article_url": datasette.urls.row(name, "articles", str(pmid)) if pmid else None,
    }, request=request)
    return Response.html(html)


async def decide(datasette, request):
    """Record one decision, then show the next record of the same list (the next undecided one, by default)."""
    if request.method != "POST":
        return Response.text("POST a decision here", status=405)
    name, db, reviewer = await writable(datasette, request)
    collection = collection_of(request)
    form = await request.post_vars()
    stage = choose_stage(form.get("stage"))
    show = form.get("show") if form.get("show") in FILTERS else "undecided"
    pmid = form.get("pmid", "")
    if not pmid.isdigit():
        raise BadRequest(f"pmid must be a PMID, not {pmid!r}")
    pmid = int(pmid)

    def write(conn):
        db_ = sqlite_utils.Database(conn)
        reason = check_reason(form.get("reason"), screening_reasons(conn, collection), collection)
        decision = Decision(collection, pmid, reviewer, form.get("decision", ""), stage, reason,
                            (form.get("note") or "").strip() or None)
        record_decisions(db_, [decision])
        return decision

    try:
        decision = await db.execute_write_fn(write, block=True)
    except ScreeningError as error:
        datasette.add_message(request, str(error), datasette.ERROR)
        return Response.redirect(page_url(datasette, name, collection, stage=stage, show=show, pmid=pmid))
    datasette.add_message(request, f"PMID {pmid}: {decision.decision}"
                          + (f" ({decision.reason})" if decision.reason else ""), datasette.INFO)
    state = await unbounded(db, screening_state, collection, stage, reviewer)
    _, after = neighbours(state["queue"], filtered(state, show), pmid)
    return Response.redirect(page_url(datasette, name, collection, stage=stage, show=show, pmid=after))


async def compare(datasette, request):
    """End blind review for this reviewer at this stage, and show the agreement."""
    if request.method != "POST":
        return Response.text("POST here to compare", status=405)
    name, db, reviewer = await writable(datasette, request)
    collection = collection_of(request)
    stage = choose_stage((await request.post_vars()).get("stage"))
    await db.execute_write_fn(lambda conn: mark_compared(sqlite_utils.Database(conn), collection, reviewer, stage),
                              block=True)
    return Response.redirect(page_url(datasette, name, collection) + "/agreement?" + urlencode({"stage": stage}))


async def agreement(datasette, request):
    """Per stage the reviewer has compared: decisions per reviewer, kappa with its table, conflicts."""
    name, db, reviewer = await screening_database(datasette, request)
    collection = collection_of(request)

    def gather(conn):
        stages = []
        for stage in STAGES:
            since = compared_at(conn, collection, reviewer, stage)
            # Blind until this reviewer compares at this stage: nothing of the others, not even counts.
            rows = current_decisions(conn, collection, stage) if since else []
            stages.append({**stage_summary(stage, rows), "blind": since is None, "compared_at": since})
        return stages

    stages = await unbounded(db, gather)
    if request.url_vars.get("as_json"):
        return Response.json({"database": name, "collection": collection, "reviewer": reviewer, "stages": stages})
    html = await datasette.render_template("litbase_screen_agreement.html", {
        "database": name, "collection": collection, "stages": stages, "decisions": DECISIONS,
        "compare_action": page_url(datasette, name, collection) + "/compare",
        "conflict_url": lambda stage, pmid: page_url(datasette, name, collection, stage=stage, show="conflicts",
                                                     pmid=pmid),
        "page_url": page_url(datasette, name, collection),
    }, request=request)
    return Response.html(html)


ROUTES = [
    (r"^/-/litbase-login$", login),
    (r"^/-/screen/(?P<database>[^/]+)/?$", index),
    (r"^/-/screen/(?P<database>[^/]+)/(?P<collection>[^/]+)/decide$", decide),
    (r"^/-/screen/(?P<database>[^/]+)/(?P<collection>[^/]+)/compare$", compare),
    (r"^/-/screen/(?P<database>[^/]+)/(?P<collection>[^/]+)/agreement(?P<as_json>\.json)?$", agreement),
    (r"^/-/screen/(?P<database>[^/]+)/(?P<collection>[^/]+)$", record_page),
]
