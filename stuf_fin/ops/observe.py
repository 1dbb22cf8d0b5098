"""One call per answered StUF message: count it, time it, and write its one log line.

The log line (logger ``stuf_fin.messages``, level INFO) carries the fields ``port``, ``operation``,
``zender``, ``referentienummer``, ``outcome``, ``fault_code``, ``duration_ms`` and, when known,
``client`` (the authenticated identity), ``resend`` (an identical resend answered from the archive) and
``fault_details``.  The message text says the same for a terminal.  BSNs and secrets are masked by the
log handler's filter (:mod:`stuf_fin.security.logfilter`) and by the JSON formatter.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from stuf_fin.ops import metrics

if TYPE_CHECKING:
    from stuf_fin.stuf.exchange import Reply
    from stuf_fin.stuf.stuurgegevens import Stuurgegevens

log = logging.getLogger("stuf_fin.messages")


def message_handled(*, port: str, operation: str, outcome: str, fault_code: str | None = None,
                    seconds: float | None = None, zender: str = "", referentienummer: str = "",
                    details: str = "", client: str | None = None, resend: bool = False) -> None:
    """Record one answer.  ``seconds`` is None for faults found before the pipeline (not timed)."""
    fault_code = fault_code or ""
    metrics.REQUESTS.labels(port, operation, outcome, fault_code).inc()
    if seconds is not None:
        metrics.DURATION.labels(port, operation, outcome).observe(seconds)
    fields: dict[str, object] = {
        "port": port, "operation": operation, "zender": zender, "referentienummer": referentienummer,
        "outcome": outcome, "fault_code": fault_code or None,
        "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
    }
    if client:
        fields["client"] = client
    if resend:
        fields["resend"] = True
    if details:
        fields["fault_details"] = details
    text = "message" if operation == metrics.UNKNOWN else operation
    if zender:
        text += f" from {zender}"
    if referentienummer:
        text += f" ref {referentienummer}"
    text += f": {outcome}"
    if fault_code:
        text += f" {fault_code}"
    if resend:
        text += " (identical resend)"
    if seconds is not None:
        text += f" in {seconds * 1000:.1f} ms"
    if details:
        text += f": {details}"
    log.info("%s", text, extra=fields)


def answered(port: str, operation: str, stuurgegevens: Stuurgegevens, reply: Reply, seconds: float | None = None,
             client: str | None = None) -> None:
    """:func:`message_handled` for the pipeline's objects (``Stuurgegevens`` and ``Reply`` of
    :mod:`stuf_fin.stuf`)."""
    fault = reply.fault
    message_handled(port=port, operation=operation, outcome=reply.outcome, fault_code=fault.code if fault else None,
                    seconds=seconds, zender=str(stuurgegevens.zender or ""),
                    referentienummer=stuurgegevens.referentienummer, details=fault.details if fault else "",
                    client=client, resend=bool(reply.extra.get("herhaling")))
