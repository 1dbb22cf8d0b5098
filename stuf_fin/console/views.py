"""The console's pages: what each one reads (through the store's and the outbox's own modules, every read with a
time limit), what it masks, what it writes to the audit log, and which template shows it."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jinja2 import Environment, PackageLoader, StrictUndefined

from stuf_fin import __version__
from stuf_fin.config import Settings
from stuf_fin.console import charts, xmlview
from stuf_fin.console.app import PREFIX, HttpError, Request, Response, Router, redirect, static_file
from stuf_fin.console.auth import Viewer, csrf_ok, csrf_token
from stuf_fin.outbound import admin, outbox
from stuf_fin.outbound.routing import Routing
from stuf_fin.security.logfilter import mask_personal_data
from stuf_fin.store import audit, message_log, message_stats, vorderingen
from stuf_fin.store.db import UNAVAILABLE, QueryTimeout, Store
from stuf_fin.store.message_log import Cursor, Search
from stuf_fin.store.tables import DURATION_BOUNDS_MS
from stuf_fin.stuf.operations import OPERATIONS
from stuf_fin.stuf.stuurgegevens import SYSTEEM_PARTS, Systeem

log = logging.getLogger("stuf_fin.console")
audit_log = logging.getLogger("stuf_fin.console.audit")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PAGE_SIZE = 50
#: Bytes of a request or reply a detail page reads (a larger one is offered as a download).
HEAD_BYTES = xmlview.PRETTY_MAX_BYTES
DOWNLOAD_PIECE = 1024 * 1024
#: Most rows one CSV export holds.
CSV_MAX_ROWS = 100_000
WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
OUTCOMES = ("Bv03", "La01", "Fo03", "Fo02")


@dataclass(frozen=True)
class Facts:
    """What the overview shows about the running gateway (given by the assembly: the console imports no app)."""

    schemas: str  # SchemaSource.describe()
    database: str  # kind and version, e.g. "PostgreSQL 15.4 at db.example"
    started: float  # time.time() at start
    routes: dict[str, Any]  # route name -> redacted route


# -- masking and formatting --------------------------------------------------------------------------------------

def masked_bsn(value: str | None, whole: bool) -> str:
    if not value:
        return ""
    return value if whole else "*****" + value[5:] if len(value) == 9 else "*" * len(value)


def masked_iban(value: str | None, whole: bool) -> str:
    if not value:
        return ""
    compact = value.replace(" ", "")
    return value if whole else compact[:4] + "*" * max(0, len(compact) - 8) + compact[-4:]


def local(moment: datetime | None) -> str:
    """A moment in Dutch local time, to the second."""
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S") if moment else "–"


def duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    if ms == float("inf"):
        return f"> {DURATION_BOUNDS_MS[-1] // 1000} s"
    return f"{ms:,.0f} ms" if ms < 10_000 else f"{ms / 1000:,.1f} s"


def _link(path: str, **params: Any) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v not in (None, "")], doseq=True)
    return PREFIX + path + ("?" + query if query else "")


def _ms_between(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() * 1000 if start and end else None


def _systeem(row: sa.Row[*tuple[Any, ...]], side: str) -> str:
    """The zender or ontvanger (``side``) of a message row, written as a :class:`Systeem` is; "–" when empty."""
    return str(Systeem(**{part: getattr(row, f"{side}_{part}") or "" for part in SYSTEEM_PARTS})) or "–"


def _zender(row: sa.Row[*tuple[Any, ...]]) -> str:
    return _systeem(row, "zender")


def _ontvanger(row: sa.Row[*tuple[Any, ...]]) -> str:
    return _systeem(row, "ontvanger")


def _local_input(text: str) -> datetime | None:
    """A ``datetime-local`` field (Dutch local time) as a moment; HttpError 400 for nonsense."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HttpError(400, f"not a date and time: {text!r} (use YYYY-MM-DDTHH:MM)") from None
    return moment.replace(tzinfo=AMSTERDAM) if moment.tzinfo is None else moment


def _int(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise HttpError(404, f"no such {what}")
    return int(text)


class Pages:
    """Every page; ``register`` gives the router its routes, ``respond`` runs one (in a console thread)."""

    def __init__(self, settings: Settings, store: Store, facts: Facts):
        self.settings = settings
        self.store = store
        self.facts = facts
        self.timeout = settings.console_query_timeout
        self.routing = settings.routing or Routing()
        self.templates = Environment(loader=PackageLoader("stuf_fin.console", "templates"), autoescape=True,
                                     auto_reload=False,
                                     undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(link=_link, operations=[op.name for op in OPERATIONS], outcomes=OUTCOMES,
                                      version=__version__)
        self.templates.filters.update(local=local, duration=duration, zender=_zender, ontvanger=_ontvanger)
        self._secret: bytes | None = None

    def register(self, router: Router) -> None:
        router.add("GET", "/", self.overview)
        router.add("GET", "/messages", self.messages)
        router.add("GET", "/messages.csv", self.messages_csv)
        router.add("GET", r"/messages/(?P<ident>\d+)", self.message)
        router.add("GET", r"/messages/(?P<ident>\d+)/(?P<part>request|reply)\.xml", self.message_body)
        router.add("GET", "/vorderingen", self.vorderingen)
        router.add("GET", r"/vorderingen/(?P<ident>\d+)", self.vordering)
        router.add("GET", "/outbox", self.outbox_page)
        router.add("GET", r"/outbox/(?P<ident>\d+)", self.outbox_item)
        router.add("POST", "/outbox/retry", self.retry)
        router.add("GET", "/settings", self.settings_page)
        router.add("GET", "/audit", self.audit_page)
        router.add("GET", r"/static/(?P<name>[a-z0-9_.-]+)", self.static)

    # -- plumbing ------------------------------------------------------------------------------------------
    def read(self) -> AbstractContextManager[Any]:
        """A read-only transaction whose statements stop after ``console_query_timeout`` seconds."""
        return self.store.read(self.timeout)

    def respond(self, handler: Callable[..., Response], request: Request, params: dict[str, str]) -> Response:
        try:
            return handler(request, **params)
        except HttpError as exc:
            return self.error_page(request.viewer, exc.status, exc.message)
        except QueryTimeout:
            log.warning("console query stopped after %s s: %s %s", self.timeout, request.method, request.path)
            return self.error_page(request.viewer, 503, f"The database did not answer within {self.timeout:g} s. "
                                   "Narrow the search (a time range, an operation) and try again.")
        except UNAVAILABLE as exc:  # unreachable, or not answering within database_timeout (docs/operator.md)
            log.warning("console page %s %s: database unavailable (%s)", request.method, request.path,
                        type(exc).__name__)
            return self.error_page(request.viewer, 503, "The database is unavailable or does not answer; the page "
                                   "comes back by itself once it does (see /ready).")

    def render(self, template: str, viewer: Viewer, http_status: int = 200, **context: Any) -> Response:
        body = self.templates.get_template(template).render(viewer=viewer, **context)
        return Response(http_status, body.encode("utf-8"))

    def error_page(self, viewer: Viewer, status: int, message: str) -> Response:
        return self.render("error.html", viewer, status, status=status, message=message)

    def secret(self) -> bytes:
        if self._secret is None:
            with self.read() as conn:
                self._secret = audit.signing_secret(conn)
        return self._secret

    def record(self, viewer: Viewer, action: str, target: str, detail: str = "") -> None:
        """One audit entry: a row in ``console_audit`` and a log line."""
        with self.store.begin() as conn:
            audit.record(conn, account=viewer.name, role=viewer.role, action=action, target=target, detail=detail,
                         peer=viewer.peer)
        audit_log.info("console audit: %s (%s) %s %s%s", viewer.name, viewer.role, action, target,
                       f": {detail}" if detail else "", extra={"peer": viewer.peer})

    # -- overview ------------------------------------------------------------------------------------------
    def overview(self, request: Request) -> Response:
        window = request.arg("window", "day")
        if window not in WINDOWS:
            window = "day"
        now = datetime.now(UTC)
        if self.store.answers.pending:  # this process's answers of the last seconds too
            try:
                self.store.answers.flush(self.store)
            except UNAVAILABLE:
                pass  # the read below reports the database
        with self.read() as conn:
            per_window = {name: message_stats.tallies(conn, now - span) for name, span in WINDOWS.items()}
            hours = message_stats.timeline(conn, now - timedelta(hours=23), timedelta(hours=1))
            routes = outbox.route_states(conn, self.facts.routes)
            oldest = outbox.oldest_pending(conn)
        totals = {name: _summary(tallies) for name, tallies in per_window.items()}
        rows = _per_operation(per_window[window])
        histogram = totals[window]["histogram"]
        timeline = charts.stacked_bars(
            "Messages answered per hour, last 24 hours", [local(at)[11:13] + "h" for at, _, _ in hours],
            [[(ok, "bar-ok", "answered without a fault"), (bad, "bar-fault", "faults")] for _, ok, bad in hours],
            label_every=3)
        bounds = [f"≤{b}" if b < 1000 else f"≤{b // 1000}s" for b in DURATION_BOUNDS_MS] + [">60s"]
        durations = charts.stacked_bars(
            f"Handling time, last {window} (ms)", bounds,
            [[(n, "bar-ok", "messages")] for n in [*histogram.counts, histogram.overflow]], width=720, height=150)
        uptime = timedelta(seconds=int(time.time() - self.facts.started))
        return self.render("overview.html", request.viewer, window=window, totals=totals, rows=rows,
                           timeline=timeline, durations=durations, routes=routes, oldest_pending=oldest,
                           pending=sum(r.pending for r in routes), dead=sum(r.dead for r in routes),
                           facts=self.facts, uptime=str(uptime),
                           started=datetime.fromtimestamp(self.facts.started, UTC))

    # -- message log ---------------------------------------------------------------------------------------
    def _search(self, request: Request) -> tuple[Search, dict[str, str]]:
        form = {name: request.arg(name) for name in ("ref", "cross", "org", "app", "operation", "outcome", "fault",
                                                     "vorderingnummer", "from", "until")}
        search = Search(referentienummer=form["ref"], cross_refnummer=form["cross"],
                        zender_organisatie=form["org"], zender_applicatie=form["app"], operation=form["operation"],
                        outcome=form["outcome"], fault_code=form["fault"], vorderingnummer=form["vorderingnummer"],
                        received_from=_local_input(form["from"]), received_until=_local_input(form["until"]))
        return search, form

    def messages(self, request: Request) -> Response:
        search, form = self._search(request)
        after, before = (Cursor.parse(request.arg(k)) if request.arg(k) else None for k in ("after", "before"))
        with self.read() as conn:
            page = message_log.search(conn, search, limit=PAGE_SIZE, after=after, before=before)
        return self.render("messages.html", request.viewer, form=form, page=page,
                           older=page.older.token() if page.older else "",
                           newer=page.newer.token() if page.newer else "")

    def messages_csv(self, request: Request) -> Response:
        search, _ = self._search(request)
        read = self.read

        def rows() -> Iterator[bytes]:
            buffer = io.StringIO()
            out = csv.writer(buffer)
            out.writerow(["id", "received_at", "answered_at", "duration_ms", "port", "operation", "zender",
                          "ontvanger", "referentienummer", "cross_refnummer", "tijdstip_bericht", "outcome",
                          "fault_code", "authenticated_identity"])
            written = 0
            for chunk in message_log.pages(read, search):
                for r in chunk[:CSV_MAX_ROWS - written]:
                    took = _ms_between(r.received_at, r.answered_at)
                    out.writerow([r.id, r.received_at.isoformat(), r.answered_at.isoformat() if r.answered_at else "",
                                  "" if took is None else round(took), r.port, r.operation, _zender(r), _ontvanger(r),
                                  r.referentienummer, r.cross_refnummer, r.tijdstip_bericht, r.outcome or "",
                                  r.fault_code or "", r.authenticated_identity or ""])
                written += len(chunk)
                yield mask_personal_data(buffer.getvalue()).encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                if written >= CSV_MAX_ROWS:
                    return

        stamp = datetime.now(AMSTERDAM).strftime("%Y%m%d-%H%M%S")
        return Response(200, rows(), "text/csv; charset=utf-8",
                        [("content-disposition", f'attachment; filename="stuf-fin-messages-{stamp}.csv"')])

    def message(self, request: Request, ident: str) -> Response:
        message_id = _int(ident, "message")
        whole = request.viewer.account.personal_data
        with self.read() as conn:
            row = message_log.message(conn, message_id, HEAD_BYTES)
            if row is None:
                raise HttpError(404, f"no message {message_id}")
            created = message_log.vorderingen_created(conn, message_id)
            changed = message_log.vorderingen_changed(conn, message_id)
            returned = message_log.vorderingen_returned(conn, message_id)
            resends = message_log.resends(conn, row)
            caused = outbox.caused_by(conn, [message_id])
        self.record(request.viewer, "view_message", f"bericht {message_id}",
                    f"{row.operation} {row.referentienummer}; BSN/IBAN {'whole' if whole else 'masked'}")
        return self.render(
            "message.html", request.viewer, m=row, took=_ms_between(row.received_at, row.answered_at),
            request_xml=xmlview.view(row.request_head, row.request_size or 0, personal_data=whole),
            reply_xml=xmlview.view(row.reply_head, row.reply_size or 0, personal_data=whole)
            if row.reply_size is not None else None,
            fault=xmlview.fault_of(row.reply_head) if row.fault_code else None,
            created=[_vordering_row(v, whole) for v in created], changed=[_vordering_row(v, whole) for v in changed],
            returned=[_vordering_row(v, whole) for v in returned], resends=resends, caused=caused)

    def message_body(self, request: Request, ident: str, part: str) -> Response:
        message_id = _int(ident, "message")
        whole = request.viewer.account.personal_data
        column = "request" if part == "request" else "reply"
        with self.read() as conn:
            size = message_log.body_size(conn, message_id, column)
        if size is None:
            raise HttpError(404, f"no message {message_id}")
        self.record(request.viewer, f"download_{column}", f"bericht {message_id}",
                    f"{size:,} bytes; BSN/IBAN {'whole' if whole else 'masked'}")
        read = self.read

        def pieces() -> Iterator[bytes]:
            for start in range(0, size, DOWNLOAD_PIECE):
                with read() as conn:
                    yield message_log.body_piece(conn, message_id, column, start, DOWNLOAD_PIECE) or b""

        return Response(200, pieces() if whole else _masked_stream(read, message_id, column, size),
                        "application/xml",
                        [("content-disposition", f'attachment; filename="bericht-{message_id}-{column}.xml"')])

    # -- vorderingen ---------------------------------------------------------------------------------------
    def vorderingen(self, request: Request) -> Response:
        vorderingnummer, tsa = request.arg("nummer"), request.arg("tsa")  # (the form field's name: nummer)
        found = []
        if vorderingnummer:
            with self.read() as conn:
                found = vorderingen.summaries_by_vorderingnummer(conn, vorderingnummer, tsa or None, limit=100)
            if len(found) == 1 and request.arg("list") != "1":
                return redirect(_link(f"/vorderingen/{found[0].id}"))
        whole = False  # lists never show BSNs or IBANs whole
        return self.render("vorderingen.html", request.viewer, vorderingnummer=vorderingnummer, tsa=tsa,
                           searched=bool(vorderingnummer),
                           found=[_vordering_row(v, whole) for v in found])

    def vordering(self, request: Request, ident: str) -> Response:
        vordering_id = _int(ident, "vordering")
        whole = request.viewer.account.personal_data
        before = request.arg("questions_before")
        with self.read() as conn:
            domain = vorderingen.load_vordering(conn, vordering_id)
            if domain is None:
                raise HttpError(404, f"no vordering {vordering_id}")
            summary = vorderingen.summaries(conn, [vordering_id])[vordering_id]
            history = vorderingen.status_history(conn, vordering_id)
            message_ids = sorted({h.bericht_id for h in history if h.bericht_id} |
                                 ({summary.bericht_id} if summary.bericht_id else set()))
            behind = message_log.summaries(conn, message_ids)
            caused = outbox.caused_by(conn, message_ids, vordering_id)
            questions = message_log.questions_returning(conn, vordering_id, limit=20,
                                                        before_id=int(before) if before.isdigit() else None)
        self.record(request.viewer, "view_vordering", f"vordering {vordering_id}",
                    f"{domain.tsa}/{domain.vorderingnummer}; BSN/IBAN {'whole' if whole else 'masked'}")
        debiteur = domain.debiteur
        incasso = domain.automatische_incasso
        return self.render(
            "vordering.html", request.viewer, v=domain, s=summary, whole=whole,
            bsn=masked_bsn(debiteur.bsn if debiteur else None, whole),
            iban=masked_iban(incasso.rekeningnummer if incasso else None, whole),
            debiteur_xml=xmlview.view(debiteur.xml, len(debiteur.xml), personal_data=whole) if debiteur else None,
            history=[(h, behind.get(h.bericht_id) if h.bericht_id is not None else None) for h in reversed(history)],
            origin=behind.get(summary.bericht_id) if summary.bericht_id else None, caused=caused,
            questions=questions, questions_before=questions[-1].id if len(questions) == 20 else None)

    # -- outbox --------------------------------------------------------------------------------------------
    def outbox_page(self, request: Request) -> Response:
        state = request.arg("state", outbox.DEAD)
        if state not in outbox.STATES:
            raise HttpError(400, f"state must be one of {', '.join(outbox.STATES)}")
        route, before = request.arg("route"), request.arg("before")
        with self.read() as conn:
            rows = outbox.page(conn, state, route=route or None, limit=PAGE_SIZE,
                               before_id=int(before) if before.isdigit() else None)
            attempts = outbox.attempts_of(conn, [r.id for r in rows])
            routes = outbox.route_states(conn, self.facts.routes)
        retried = [i for i in request.arg("retried").split(",") if i.isdigit()]
        return self.render("outbox.html", request.viewer, state=state, route=route, rows=rows, attempts=attempts,
                           routes=routes, facts=self.facts, retried=retried, failed=request.arg("failed"),
                           older=rows[-1].id if len(rows) == PAGE_SIZE else None,
                           csrf=csrf_token(self.secret(), request.viewer) if request.viewer.account.may_retry else "")

    def outbox_item(self, request: Request, ident: str) -> Response:
        outbox_id = _int(ident, "outbox message")
        whole = request.viewer.account.personal_data
        with self.read() as conn:
            row = outbox.with_heads(conn, outbox_id, HEAD_BYTES)
            if row is None:
                raise HttpError(404, f"no outbox message {outbox_id}")
            attempts = outbox.attempts_of(conn, [outbox_id])[outbox_id]
            origin = message_log.summaries(conn, [row.bericht_id]).get(row.bericht_id) if row.bericht_id else None
        self.record(request.viewer, "view_outbox_message", f"outbox {outbox_id}",
                    f"{row.operation} {row.referentienummer}; BSN/IBAN {'whole' if whole else 'masked'}")
        return self.render(
            "outbox_item.html", request.viewer, o=row, attempts=attempts, origin=origin,
            message_xml=xmlview.view(row.message_head, row.message_size, personal_data=whole),
            reply_xml=xmlview.view(row.reply_head, row.reply_size, personal_data=whole) if row.reply_size else None,
            route=self.facts.routes.get(row.route),
            csrf=csrf_token(self.secret(), request.viewer) if request.viewer.account.may_retry else "")

    def retry(self, request: Request) -> Response:
        """Retry the selected outbox messages (beheerder only, with a valid CSRF token from a console page)."""
        viewer = request.viewer
        if not viewer.account.may_retry:
            log.warning("console: %s (%s) may not retry; refused", viewer.name, viewer.role)
            raise HttpError(403, f"the role {viewer.role} may not retry messages")
        self.check_post(request)
        ids = [int(i) for i in request.args("id") if i.isdigit() and len(i) <= 18]
        if not ids:
            raise HttpError(400, "select at least one message to retry")
        choice = request.arg("reference", "auto", request.form)
        new_reference = {"auto": None, "same": False, "new": True}.get(choice)
        if choice not in ("auto", "same", "new"):
            raise HttpError(400, "reference must be auto, same or new")
        done, failed = [], []
        with self.store.begin() as conn:  # one transaction, as `stuf-fin outbox retry` does
            for outbox_id in ids:
                row = outbox.get(conn, outbox_id)
                if row is None:
                    failed.append(f"{outbox_id}: no such message")
                    continue
                try:
                    what = admin.retry(conn, row, self.routing, new_reference=new_reference)
                except ValueError as exc:
                    failed.append(f"{outbox_id}: {exc}")
                    continue
                done.append(outbox_id)
                audit.record(conn, account=viewer.name, role=viewer.role, action="retry", target=f"outbox {outbox_id}",
                             detail=what, peer=viewer.peer)
                audit_log.info("console audit: %s (%s) retry outbox %s: %s", viewer.name, viewer.role, outbox_id,
                               what, extra={"peer": viewer.peer})
        if failed and not done:
            raise HttpError(409, "; ".join(failed))
        return redirect(_link("/outbox", state=outbox.PENDING, retried=",".join(map(str, done)),
                              failed="; ".join(failed)))

    def check_post(self, request: Request) -> None:
        """Refuse a cross-site or forged POST: Origin (when sent) must be this console, the token valid for this
        account."""
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise HttpError(403, "cross-site request refused")
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise HttpError(403, "cross-site request refused")
        if not csrf_ok(self.secret(), request.viewer, request.arg("csrf", "", request.form)):
            log.warning("console: POST %s by %s without a valid CSRF token; refused", request.path,
                        request.viewer.name)
            raise HttpError(403, "the form has expired or did not come from this console: reload the page")

    # -- settings, audit, static ---------------------------------------------------------------------------
    def settings_page(self, request: Request) -> Response:
        from stuf_fin.ops import configcheck

        found = configcheck.findings(self.settings, os.environ)
        report = json.loads(configcheck.report(self.settings, os.environ, found, as_json=True))
        settings = report["settings"]
        listed = [(name, json.dumps(settings[name], ensure_ascii=False), report["sources"][name])
                  for name in report["sources"]]
        return self.render("settings.html", request.viewer, listed=listed, clients=settings.get("clients", []),
                           accounts=settings.get("console_accounts", []), routes=settings.get("routing", {}),
                           findings=report["findings"], config_file=self.settings.config_file)

    def audit_page(self, request: Request) -> Response:
        if request.viewer.role != "beheerder":
            raise HttpError(403, "the audit log is for the role beheerder")
        before, account = request.arg("before"), request.arg("account")
        with self.read() as conn:
            rows = audit.entries(conn, limit=PAGE_SIZE, before_id=int(before) if before.isdigit() else None,
                                 account=account or None)
        return self.render("audit.html", request.viewer, rows=rows, account=account,
                           older=rows[-1].id if len(rows) == PAGE_SIZE else None)

    def static(self, request: Request, name: str) -> Response:
        body = static_file(name)
        if body is None:
            raise HttpError(404, "no such file")
        kind = "text/css; charset=utf-8" if name.endswith(".css") else "image/svg+xml"
        return Response(200, body, kind, cacheable=True)


def _masked_stream(read: Callable[[], AbstractContextManager[Any]], message_id: int, column: str,
                   size: int) -> Iterator[bytes]:
    """A stored body, masked: read in pieces, each cut after its last '>' so that no value is split between two
    pieces (a value without markup around it longer than a piece is masked as it comes)."""
    carry = b""
    for start in range(0, size, DOWNLOAD_PIECE):
        with read() as conn:
            piece = carry + (message_log.body_piece(conn, message_id, column, start, DOWNLOAD_PIECE) or b"")
        cut = piece.rfind(b">") + 1 if start + DOWNLOAD_PIECE < size else len(piece)
        cut = cut or len(piece)
        carry = piece[cut:]
        yield mask_personal_data(piece[:cut].decode("utf-8", "replace")).encode("utf-8")
    if carry:
        yield mask_personal_data(carry.decode("utf-8", "replace")).encode("utf-8")


def _vordering_row(v: Any, whole: bool) -> dict[str, Any]:
    """A vordering for a list: BSN and IBAN masked unless ``whole``."""
    return {"id": v.id, "organisatie": v.organisatie_nnp_id, "tsa": v.tsa, "vorderingnummer": v.vorderingnummer,
            "factuurnummer": v.factuurnummer or "", "status": v.status or "", "status_tijdstip": v.status_tijdstip,
            "amount": v.totaalbedrag_incl_btw, "currency": v.valutacode,
            "debiteur": masked_bsn(v.debiteur_bsn, whole) if v.debiteur_bsn else (v.debiteur_nnp_id or ""),
            "iban": masked_iban(v.rekeningnummer, whole), "new_status": getattr(v, "new_status", None)}


def _summary(tallies: list[message_stats.Tally]) -> dict[str, Any]:
    histogram = message_stats.Histogram()
    faults = 0
    for t in tallies:
        histogram.add(t.histogram.counts, t.histogram.messages, t.histogram.total_ms)
        if t.fault_code:
            faults += t.histogram.messages
    total = histogram.messages
    return {"messages": total, "faults": faults, "fault_rate": faults / total if total else None,
            "p50": histogram.percentile(50), "p99": histogram.percentile(99), "histogram": histogram}


def _per_operation(tallies: list[message_stats.Tally]) -> list[dict[str, Any]]:
    """One row per operation: counts per outcome, faults per StUF code, fault rate, p50/p99."""
    rows: dict[str, dict[str, Any]] = {}
    for t in tallies:
        row = rows.setdefault(t.operation, {"operation": t.operation, "outcomes": {}, "codes": {}, "tallies": []})
        row["outcomes"][t.outcome] = row["outcomes"].get(t.outcome, 0) + t.histogram.messages
        if t.fault_code:
            label = f"{t.outcome} {t.fault_code}"
            row["codes"][label] = row["codes"].get(label, 0) + t.histogram.messages
        row["tallies"].append(t)
    for row in rows.values():
        row.update(_summary(row.pop("tallies")))
        row["codes"] = sorted(row["codes"].items(), key=lambda item: -item[1])
    return sorted(rows.values(), key=lambda r: r["operation"])
