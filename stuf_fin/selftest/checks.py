"""The rules a step is judged by, written from the standard (NOTES.md §2-§6, StUF 03.01, the protocol binding),
never by asking the gateway's own handlers.

Answers of a provider: :func:`judge_accepted` (Bv03), :func:`judge_refused` (Fo03), :func:`judge_la01`,
:func:`judge_not_found`, and :func:`compare_object` (a vrdLa01 object against the vordering that was sent).
Messages of a consumer: :func:`check_received`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from stuf_fin.envelope import ENVELOPE, FAULT, body_messages
from stuf_fin.namespaces import FIN, SOAP12_ENV, SOAP_ENV, STUF, XSI_NIL, prefixed, q
from stuf_fin.outbound.client import SendOutcome
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_bytes
from stuf_fin.schema.validator import MessageValidator, summarize
from stuf_fin.selftest.results import FAIL, PASS, Outcome
from stuf_fin.stuf.answers import read_fault
from stuf_fin.stuf.operations import PORT_VRAAG, Operation
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem, read_stuurgegevens

S, F = f"{{{STUF}}}", f"{{{FIN}}}"
LIMITS = ParseLimits(max_bytes=64 * 1024 * 1024)

#: Fault codes that, in answer to the runner's messages, cannot be the refusal a scenario asks for: the runner's
#: messages are schema-valid, new and addressed as configured, so these mean something else went wrong.
NOT_THE_SCENARIOS_REASON = {
    "StUF055": "the runner's message is schema-valid (it is checked before it is sent)",
    "StUF016": "the runner never reuses a referentienummer",
    "StUF010": "the system does not take the runner's ontvanger as its own: set --ontvanger to its identity",
    "StUF013": "the system does not know the runner's zender: configure --zender in it",
    "StUF052": "the runner is not authorised: configure its --zender and credentials in the system",
}


# -- answers ------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    """An HTTP answer as received and read: the StUF message in it (in a Fault's ``detail`` for Fo0x)."""

    http_status: int | None
    raw: bytes | None
    error: str = ""  # why there is no usable message
    message: etree._Element | None = None
    in_fault: bool = False
    fault: etree._Element | None = None

    @property
    def kind(self) -> str:
        """``Bv03``, ``Fo03``, ``Fo02``, ``vrdLa01`` … (the message element's local name without ``Bericht``)."""
        if self.message is None:
            return ""
        return etree.QName(self.message).localname.removesuffix("Bericht")

    @property
    def stuurgegevens(self) -> Stuurgegevens:
        return read_stuurgegevens(self.message) if self.message is not None else Stuurgegevens()

    def fault_field(self, name: str) -> str:
        """The text of one element of a StUF fault's body (``code``, ``plek``, ``omschrijving``, ``details``)."""
        if self.message is None:
            return ""
        return str(getattr(read_fault(self.message), name))

    def describe(self) -> str:
        """Short, for the table: ``Bv03``, ``Fo03 StUF058 (server)``, ``no answer (ReadTimeout …)`` …"""
        if self.message is None:
            return self.error[:80]
        if self.kind.startswith("Fo"):
            return f"{self.kind} {self.fault_field('code')} ({self.fault_field('plek')})"
        return self.kind

    def fault_text(self) -> str:
        """A StUF fault in full: ``StUF058 (server): omschrijving — details``."""
        field = self.fault_field
        details = field("details")
        return f"{self.kind} {field('code')} ({field('plek')}): {field('omschrijving')}" + (
            f" — {details}" if details else "")

    def told(self) -> str:
        """What came instead of the expected answer: the fault in full, or ``a vrdLa01`` …"""
        return self.fault_text() if self.kind.startswith("Fo") else f"a {self.kind}"


def read_answer(send_outcome: SendOutcome) -> Answer:
    """The :class:`Answer` in what the StUF client got back."""
    if send_outcome.kind == "transport":
        return Answer(None, None, f"no answer: {send_outcome.error}")
    status, raw = send_outcome.http_status, send_outcome.reply or b""
    if not raw.strip():
        return Answer(status, raw, f"HTTP {status} with an empty body")
    try:
        root = parse_bytes(raw, LIMITS).getroot()
    except XmlInputError as exc:
        return Answer(status, raw, f"HTTP {status}: the answer is not XML ({exc})")
    if root.tag != ENVELOPE:
        return Answer(status, raw,
                      f"HTTP {status}: the answer is no SOAP 1.1 Envelope (root {prefixed(str(root.tag))})")
    children = body_messages(root)
    if len(children) != 1:
        return Answer(status, raw, f"HTTP {status}: the SOAP Body holds {len(children)} elements, not one")
    element = children[0]
    if element.tag != FAULT:
        return Answer(status, raw, message=element)
    detail = element.find("detail")
    if detail is None:
        detail = element.find(f"{{{SOAP_ENV}}}detail")
    stuf = next((c for c in detail if isinstance(c.tag, str)), None) if detail is not None else None
    if stuf is None or etree.QName(stuf).namespace != STUF:
        return Answer(status, raw, f"HTTP {status}: SOAP Fault {element.findtext('faultcode') or ''} "
                      f"'{(element.findtext('faultstring') or '').strip()[:150]}' without a StUF fault in detail",
                      fault=element)
    return Answer(status, raw, message=stuf, in_fault=True, fault=element)


def _form(answer: Answer, validator: MessageValidator) -> list[str]:
    """What is wrong with the form of an answer: its HTTP status, its SOAP Fault, its schema."""
    problems = []
    if answer.in_fault:
        if answer.http_status != 500:
            problems.append(f"a SOAP Fault comes with HTTP 500 (WS-I Basic Profile), not {answer.http_status}")
    elif answer.http_status != 200:
        problems.append(f"an answer that is not a Fault comes with HTTP 200, not {answer.http_status}")
    assert answer.message is not None  # (the callers checked)
    issues = validator.validate(answer.message)
    if issues:
        problems.append(f"the {answer.kind} fails the schema: {summarize(issues, 600)}")
    return problems


def _fault_notes(answer: Answer) -> list[str]:
    """The protocol binding's Fault form ([PB] L131-135), as notes."""
    if answer.fault is None:
        return []
    notes = []
    code, plek = (answer.fault.findtext("faultcode") or "").strip(), answer.fault_field("plek")
    if plek and not code.lower().endswith(":" + plek.lower()):
        notes.append(f"faultcode {code!r} does not end in the plek {plek!r} ([PB]: prefix + ':' + plek)")
    if (answer.fault.findtext("faultstring") or "").strip() != answer.fault_field("omschrijving"):
        notes.append("faultstring is not the fault's omschrijving ([PB])")
    return notes


def _code_notes(answer: Answer, problems: list[str], about: str, recommended: str, advice: str) -> list[str]:
    """The fault's code judged: a code that cannot be the scenario's refusal goes first in ``problems`` (after
    ``refused with …{about}``); the notes are the Fault's form and, for another code than ``recommended``,
    ``advice``."""
    code = answer.fault_field("code")
    if code in NOT_THE_SCENARIOS_REASON:
        problems.insert(0, f"refused with {answer.fault_text()}{about}: {NOT_THE_SCENARIOS_REASON[code]}")
    notes = _fault_notes(answer)
    if code != recommended and code not in NOT_THE_SCENARIOS_REASON:
        notes.append(f"code {code}: {advice}")
    return notes


def _addressing(answer_sg: Stuurgegevens, sent: Stuurgegevens, *, optional: bool = False) -> list[str]:
    """Zender and ontvanger of an answer are those of the question, exactly the other way round ([PB] L315)."""
    problems = []
    for own, theirs, what in ((answer_sg.ontvanger, sent.zender, "ontvanger"),
                              (answer_sg.zender, sent.ontvanger, "zender")):
        if own is None and optional:
            continue
        if own != theirs:
            problems.append(f"its {what} is {_systeem(own)}, not {_systeem(theirs)} (an answer swaps the "
                            "zender and ontvanger of the question)")
    return problems


def _systeem(s: Systeem | None) -> str:
    return f"'{s}'" if s else "absent"


def _cross(answer: Answer, sent: Stuurgegevens) -> list[str]:
    cross = answer.stuurgegevens.cross_refnummer
    if cross != sent.referentienummer:
        return [f"its crossRefnummer is {cross!r}, not the referentienummer of the message it answers "
                f"({sent.referentienummer!r})"]
    return []


def _fail(answer: Answer, problems: list[str], notes: list[str] | None = None, got: str | None = None) -> Outcome:
    return Outcome(FAIL, got or answer.describe() or "?", "; ".join(problems), notes or [])


def judge_accepted(answer: Answer, sent: Stuurgegevens, validator: MessageValidator, *, what: str) -> Outcome:
    """A Di01 the system must accept: a schema-valid Bv03 for this message, addressed back to the runner."""
    if answer.message is None:
        return _fail(answer, [f"expected a Bv03 for {what}; {answer.error}"])
    if answer.kind != "Bv03":
        return _fail(answer, [f"expected a Bv03 for {what}, got {answer.told()}"])
    problems = _form(answer, validator) + _cross(answer, sent) + _addressing(answer.stuurgegevens, sent)
    if problems:
        return _fail(answer, ["Bv03 received, but " + problems[0], *problems[1:]])
    return Outcome(PASS, "Bv03", f"Bv03 for {what}, crossRefnummer {sent.referentienummer}")


def judge_refused(answer: Answer, sent: Stuurgegevens, validator: MessageValidator, *, what: str) -> Outcome:
    """A Di01 the system must refuse: a Fo03 in a SOAP Fault for this message, with a StUF code that fits."""
    if answer.message is None:
        return _fail(answer, [f"expected a Fo03 for {what}; {answer.error}"])
    if answer.kind == "Bv03":
        return _fail(answer, [f"accepted {what} (Bv03); expected a Fo03"])
    if answer.kind != "Fo03":
        return _fail(answer, [f"expected a Fo03 for {what}, got a {answer.kind}"])
    problems = _form(answer, validator)
    if not answer.in_fault:
        problems.insert(0, "a Fo03 is the WSDL's fault and comes inside a SOAP Fault")
    problems += _cross(answer, sent) + _addressing(answer.stuurgegevens, sent)
    notes = _code_notes(answer, problems, f", which is not about {what}", "StUF058",
                        "NOTES §4 recommends StUF058 (with the reason in details) for business errors")
    if problems:
        return _fail(answer, problems, notes)
    return Outcome(PASS, answer.describe(), f"refused {what}: {answer.fault_text()}", notes)


def judge_la01(answer: Answer, sent: Stuurgegevens, validator: MessageValidator, *,
               vorderingnummer: str) -> tuple[Outcome, etree._Element | None]:
    """A vrdLv01 the system must answer with one vordering: a schema-valid vrdLa01 holding it.  Returns the
    object for a closer look (or ``None`` when the step already failed)."""
    if answer.message is None:
        return _fail(answer, [f"expected a vrdLa01; {answer.error}"]), None
    if answer.kind != "vrdLa01":
        return _fail(answer, [f"expected a vrdLa01 with vordering {vorderingnummer}, got {answer.told()}"]), None
    problems = _form(answer, validator) + _addressing(answer.stuurgegevens, sent, optional=True)
    if problems:
        return _fail(answer, ["vrdLa01 received, but " + problems[0], *problems[1:]]), None
    objects = answer.message.findall(f"{F}antwoord/{F}object")
    numbers = [o.findtext(F + "vorderingnummer") for o in objects]
    if numbers != [vorderingnummer]:
        return _fail(answer, [f"expected one object, vordering {vorderingnummer}; the vrdLa01 holds "
                              f"{len(objects)}: {numbers[:5]}"], got=f"vrdLa01, {len(objects)} object(s)"), None
    notes = [] if objects[0].get(S + "sleutelVerzendend") else [
        "the object has no StUF:sleutelVerzendend (StUF 03.01: the answering system fills it with its own key)"]
    return Outcome(PASS, "vrdLa01, 1 object", f"vrdLa01 with vordering {vorderingnummer}", notes), objects[0]


def judge_not_found(answer: Answer, sent: Stuurgegevens, validator: MessageValidator, *,
                    vorderingnummer: str) -> Outcome:
    """Scenario 12: Fo02 (StUF064 recommended) in a SOAP Fault, or a vrdLa01 without objects (NOTES §6)."""
    if answer.message is None:
        return _fail(answer, [f"expected a Fo02 or an empty vrdLa01; {answer.error}"])
    if answer.kind == "Fo03":
        return _fail(answer, [f"answered with a Fo03, which {PORT_VRAAG} cannot send: its WSDL fault is Fo02 "
                              "(NOTES §6; the test sheet's 'Fo03' is an erratum)"])
    if answer.kind not in ("Fo02", "vrdLa01"):
        return _fail(answer, [f"expected a Fo02 or an empty vrdLa01, got a {answer.kind}"])
    problems = _form(answer, validator)
    if answer.kind == "vrdLa01":
        objects = answer.message.findall(f"{F}antwoord/{F}object")
        if objects:
            problems.append(f"the vrdLa01 holds {len(objects)} object(s) for vorderingnummer {vorderingnummer}, "
                            "which was never sent")
        problems += _addressing(answer.stuurgegevens, sent, optional=True)
        if problems:
            return _fail(answer, problems)
        return Outcome(PASS, "vrdLa01, empty", "a vrdLa01 without antwoord (StUF 03.01: nothing found)")
    if not answer.in_fault:
        problems.insert(0, "a Fo02 is the WSDL's fault and comes inside a SOAP Fault")
    notes = _code_notes(answer, problems, "", "StUF064", "StUF064 ('Object niet gevonden') says it best (NOTES §6)")
    if problems:
        return _fail(answer, problems, notes)
    return Outcome(PASS, answer.describe(), f"not found: {answer.fault_text()}", notes)


# -- a vrdLa01 object against the vordering that was sent ------------------------------------------------------

#: Elements the answering system may fill itself: the status is the inningsysteem's to change, the moment of
#: registration is its own.  A difference there is a note, not a failure.
OWNED_BY_THE_SYSTEM = {"vorderingstatus", "tijdstipRegistratie"}
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^(\d{4,}-\d\d-\d\d)(Z|[+-]\d\d:\d\d)?$")


def same_value(sent: str, got: str) -> bool:
    """Equal as the XSD types would compare them: integers by value, dates and dateTimes by moment."""
    sent, got = sent.strip(), got.strip()
    if sent == got:
        return True
    if _INTEGER.match(sent) and _INTEGER.match(got):
        return int(sent) == int(got)
    a, b = _DATE.match(sent), _DATE.match(got)
    if a and b:
        return a.group(1) == b.group(1)
    try:
        x, y = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in (sent, got))
    except ValueError:
        return False
    if (x.tzinfo is None) != (y.tzinfo is None):
        return x.replace(tzinfo=None) == y.replace(tzinfo=None)
    return x == y


def _name(el: etree._Element) -> str:
    return prefixed(str(el.tag))


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _is_nil(el: etree._Element) -> bool:
    return el.get(XSI_NIL) == "true"


def _leaf(el: etree._Element) -> bool:
    return not _children(el)


def _text(el: etree._Element) -> str:
    return "".join(el.itertext())


def _canonical(el: etree._Element) -> str:
    """A form of an element for matching repeated groups: leaf texts in document order."""
    return "|".join(f"{etree.QName(d).localname}={_text(d).strip()}" for d in el.iter()
                    if isinstance(d.tag, str) and _leaf(d))


@dataclass
class Comparison:
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: int = 0  # leaf values found equal


def compare_object(sent: etree._Element, got: etree._Element) -> Comparison:
    """Every value of ``sent`` (the ``FIN:object`` of the Di01) must be in ``got`` (the vrdLa01's object) with
    the same value; ``got`` may add nothing but placeholders (``xsi:nil``).  StUF attributes (keys,
    verwerkingssoort) are not compared; repeated groups (vorderingsregel, termijn …) may come in any order."""
    result = Comparison()
    _compare(sent, got, _name(sent), result)
    return result


def _compare(sent: etree._Element, got: etree._Element, path: str, result: Comparison) -> None:
    sent_kids, got_kids = _children(sent), _children(got)
    if not sent_kids:
        if _is_nil(got) and _text(sent).strip():
            result.differences.append(f"{path}: sent {_text(sent).strip()!r}, got xsi:nil"
                                      f"{' (' + str(got.get(S + 'noValue')) + ')' if got.get(S + 'noValue') else ''}")
        elif not same_value(_text(sent), _text(got)):
            result.differences.append(f"{path}: sent {_text(sent).strip()!r}, got {_text(got).strip()!r}")
        else:
            result.values += 1
        return
    if _is_nil(got) and not got_kids:
        result.differences.append(f"{path}: sent with {len(sent_kids)} element(s), got xsi:nil")
        return
    tags = list(dict.fromkeys(str(c.tag) for c in sent_kids + got_kids))
    for tag in tags:
        mine = [c for c in sent_kids if c.tag == tag]
        theirs = [c for c in got_kids if c.tag == tag]
        sub = f"{path}/{prefixed(tag)}"
        local = etree.QName(tag).localname
        owned = local in OWNED_BY_THE_SYSTEM
        target = Comparison() if owned else result
        if not mine:
            filled = [c for c in theirs if not (_is_nil(c) and _leaf(c))]
            if filled and not owned:
                target.differences.append(f"{sub}: got {_text(filled[0]).strip()[:60]!r}, which was never sent")
            continue
        if len(theirs) != len(mine):
            target.differences.append(f"{sub}: sent {len(mine)}, got {len(theirs)}" if theirs else
                                      f"{sub}: sent {_text(mine[0]).strip()[:60]!r}, missing in the answer")
        else:
            if len(mine) > 1:  # repeated: pair them up by content, whatever the order
                mine = sorted(mine, key=_canonical)
                theirs = sorted(theirs, key=_canonical)
            for n, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                _compare(a, b, sub + (f"[{n + 1}]" if len(mine) > 1 else ""), target)
        if owned:
            result.values += target.values
            result.notes += [f"{d} (the system's own to set: not a failure)" for d in target.differences]


# -- messages received from the system under test ---------------------------------------------------------------

@dataclass
class Arrival:
    """One request received by the listener."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: datetime
    message: etree._Element | None = None  # the SOAP Body's element
    problem: str = ""  # why there is no message
    soap_version: str = "1.1"

    @property
    def stuurgegevens(self) -> Stuurgegevens:
        return read_stuurgegevens(self.message) if self.message is not None else Stuurgegevens()

    @property
    def soap_action(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "soapaction"), "")

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")

    @property
    def operation_name(self) -> str:
        return etree.QName(self.message).localname if self.message is not None else ""

    def content_digest(self) -> str:
        """The content without the stuurgegevens: what stays the same when a message is resent "blindly"."""
        import hashlib

        if self.message is None:
            return hashlib.sha256(self.body).hexdigest()
        digest = hashlib.sha256(str(self.message.tag).encode())
        for child in _children(self.message)[1:]:
            digest.update(etree.tostring(child, method="c14n", exclusive=True))
        return digest.hexdigest()


def read_arrival(path: str, headers: dict[str, str], body: bytes, at: datetime) -> Arrival:
    arrival = Arrival(path, headers, body, at)
    try:
        root = parse_bytes(body, LIMITS).getroot()
    except XmlInputError as exc:
        arrival.problem = f"not XML ({exc})"
        return arrival
    if root.tag == q(SOAP12_ENV, "Envelope"):
        arrival.problem, arrival.soap_version = "a SOAP 1.2 envelope; StUF-FIN uses SOAP 1.1 only", "1.2"
        return arrival
    if root.tag != ENVELOPE:
        arrival.problem = f"not a SOAP 1.1 Envelope (root {prefixed(str(root.tag))})"
        return arrival
    children = body_messages(root)
    if len(children) != 1:
        arrival.problem = f"the SOAP Body holds {len(children)} elements, not one"
        return arrival
    arrival.message = children[0]
    return arrival


def check_received(arrival: Arrival, operation: Operation, validator: MessageValidator, *,
                   port_path: str, runner: Systeem | None, system: Systeem | None) -> tuple[list[str], list[str]]:
    """Problems (failures) and notes for a message the system under test sent: port, SOAPAction, SOAP
    version, schema, stuurgegevens, the official (misspelt) functie.  ``runner``/``system``: the identities to
    expect as ontvanger/zender, when configured."""
    problems: list[str] = []
    notes: list[str] = []
    if arrival.message is None:
        return [arrival.problem], notes
    if not arrival.path.rstrip("/").endswith(port_path):
        problems.append(f"sent to {arrival.path}; {operation.name} belongs on the port …/{port_path}")
    action = arrival.soap_action
    if not action:
        problems.append(f"no SOAPAction header; the WSDL gives {operation.soap_action!r}")
    elif action.strip('"') != operation.soap_action:
        problems.append(f"SOAPAction {action!r}; the WSDL gives {operation.soap_action!r} for {operation.name}")
    elif not (action.startswith('"') and action.endswith('"')):
        notes.append("the SOAPAction value is not quoted (WS-I Basic Profile R1109)")
    if arrival.content_type and not arrival.content_type.lower().startswith("text/xml"):
        problems.append(f"Content-Type {arrival.content_type!r}; SOAP 1.1 is sent as text/xml")
    sg = arrival.stuurgegevens
    if sg.berichtcode != operation.berichtcode:
        problems.append(f"berichtcode {sg.berichtcode!r}, expected {operation.berichtcode!r}")
    if operation.functie and sg.functie != operation.functie:
        problems.append(f"functie {sg.functie!r}; the schema fixes {operation.functie!r} for {operation.name} "
                        "(the official spelling, misspelt as it is: NOTES §3)")
    issues = validator.validate(arrival.message)
    if issues:
        problems.append(f"the {operation.name} fails the schema: {summarize(issues, 600)}")
    if runner is not None and sg.ontvanger is not None and sg.ontvanger != runner:
        problems.append(f"ontvanger {_systeem(sg.ontvanger)}, but the counterpart here is {_systeem(runner)} "
                        "(--zender)")
    if system is not None and sg.zender is not None and sg.zender != system:
        problems.append(f"zender {_systeem(sg.zender)}, expected {_systeem(system)} (--ontvanger)")
    if sg.tijdstip_bericht and not re.fullmatch(r"\d{8}(\d{6}(\d{3})?)?", sg.tijdstip_bericht):
        problems.append(f"tijdstipBericht {sg.tijdstip_bericht!r} is not JJJJMMDD[uummss[mmm]]")
    elif sg.tijdstip_bericht and len(sg.tijdstip_bericht) == 8:
        notes.append("tijdstipBericht has only a date: StUF019 (increasing per sender) cannot be checked by "
                     "receivers")
    return problems, notes
