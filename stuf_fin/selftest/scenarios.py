"""The 14 StUF-FIN compliance scenarios of the VNG test set, as data: role, who answers, the steps the runner
plays and what each step expects, and where each scenario comes from.

Sources: NOTES.md §8 (the digest of the kit) and the test set ([TS] ``reference/testset-fin-1.0-scenarios.txt``,
line of the scenario's heading).  "TTA" there is the system under test, "STP" the test platform, whose part this
runner plays.  Where the runner's steps differ from the sheet's (a precondition it must create itself, fresh
numbers instead of ``KING00009999``), docs/selftest.md says why.
"""

from __future__ import annotations

from dataclasses import dataclass

TSA, INNING, FA = "tsa", "inningsysteem", "financiele-administratie"
ROLES = (TSA, INNING, FA)
ROLE_NAMES = {TSA: "taakspecifieke applicatie (TSA)", INNING: "inningsysteem",
              FA: "financiële administratie"}
PROVIDER, CONSUMER = "provider", "consumer"


@dataclass(frozen=True)
class Step:
    """One exchange the runner judges."""

    key: str  # "1", "2", ... (the runner's own numbering)
    sheet: str  # the step numbers of the test sheet it covers ("2-3"), "pre" for a precondition
    action: str  # what is sent or awaited
    expected: str  # what passes


@dataclass(frozen=True)
class Scenario:
    number: int
    role: str
    kind: str  # provider: the system under test answers; consumer: it sends
    title: str
    source: str
    steps: tuple[Step, ...]

    @property
    def label(self) -> str:
        return f"{self.number} {self.role}"


def _ts(line: int, sheet: str) -> str:
    return f"NOTES.md §8; [TS] sheet '{sheet}', line {line}"


_TSA_SHEET, _INN_SHEET, _FA_SHEET = "Taakspecifieke Applicatie", "Inningen Systeem", "Financiele administratie"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(1, TSA, CONSUMER, 'Aanroepen "Verstrek Vordering": a vordering linked to a Zaak', _ts(97, _TSA_SHEET), (
        Step("1", "1", "receive Di01-verstrekVordering", "valid Di01, every vordering with isOntstaanInZaak; "
             "answered Bv03"),
    )),
    Scenario(2, TSA, CONSUMER, 'Aanroepen "Verstrek Vorderingstatus": two questions, a minimal and a maximal '
             "answer", _ts(102, _TSA_SHEET), (
        Step("1", "1-2", "receive vrdLv01", "valid vrdLv01 with gelijk/vorderingnummer; answered with the minimal "
             "vrdLa01"),
        Step("2", "3-4", "receive vrdLv01", "valid vrdLv01 with gelijk/vorderingnummer; answered with the maximal "
             "vrdLa01"),
    )),
    Scenario(3, TSA, CONSUMER, "Foutsituatie: the test platform answers every vordering with Fo03",
             _ts(109, _TSA_SHEET), (
        Step("1", "1", "receive Di01-verstrekVordering", "valid Di01; answered Fo03 StUF058"),
        Step("2", "2", "watch the resend window", "no resend with a new referentienummer of the same content"),
    )),
    Scenario(4, TSA, PROVIDER, 'Leveren "Verstrek Vorderingstatuswijziging": minimal, then maximal',
             _ts(116, _TSA_SHEET), (
        Step("0", "pre", "Di01-verstrekVordering (the vordering the status changes are about)",
             "Bv03 (or give an existing one with --vorderingnummer)"),
        Step("1", "1", "Di01-verstrekVorderingStatusWijziging (min)", "Bv03"),
        Step("2", "2", "Di01-verstrekVorderingStatusWijziging (max: old and new state)", "Bv03"),
    )),
    Scenario(5, TSA, PROVIDER, "Foutsituatie: status change for an unknown vordering", _ts(121, _TSA_SHEET), (
        Step("1", "1-2", "Di01-verstrekVorderingStatusWijziging for a vorderingnummer never sent", "Fo03"),
    )),
    Scenario(6, INNING, CONSUMER, 'Aanroepen "Verstrek Vorderingstatuswijziging"', _ts(132, _INN_SHEET), (
        Step("1", "1", "receive Di01-verstrekVorderingStatusWijziging", "valid Di01; answered Bv03"),
    )),
    Scenario(7, INNING, CONSUMER, 'Aanroepen "Verstrek Financiele Verantwoording"', _ts(136, _INN_SHEET), (
        Step("1", "1", "receive Di01-verstrekFinancieleVerantwoording", "valid Di01; answered Bv03"),
    )),
    Scenario(8, INNING, CONSUMER, "Foutsituatie: the test platform answers every verantwoording with Fo03",
             _ts(140, _INN_SHEET), (
        Step("1", "1", "receive Di01-verstrekFinancieleVerantwoording", "valid Di01; answered Fo03 StUF058"),
        Step("2", "2", "watch the resend window", "no resend with a new referentienummer of the same content"),
    )),
    Scenario(9, INNING, PROVIDER, 'Leveren "Verstrek Vordering" en "Verstrek Vorderingstatus"',
             _ts(147, _INN_SHEET), (
        Step("1", "1", "Di01-verstrekVordering (min)", "Bv03"),
        Step("2", "2-3", "vrdLv01 (min: vorderingnummer and status) for that vordering",
             "vrdLa01 with that one vordering"),
        Step("3", "4", "Di01-verstrekVordering (max: every optional element)", "Bv03"),
        Step("4", "5-6", "vrdLv01 (max: scope alles) for that vordering",
             "vrdLa01 holding exactly the vordering sent, field by field"),
    )),
    Scenario(10, INNING, PROVIDER, "Foutsituatie: a vorderingnummer that was processed before",
             _ts(156, _INN_SHEET), (
        Step("1", "1", "Di01-verstrekVordering", "Bv03"),
        Step("2", "2-3", "Di01-verstrekVordering, same vordering, new referentienummer", "Fo03"),
    )),
    Scenario(11, INNING, PROVIDER, "Foutsituatie: a vervaldatum in the past", _ts(162, _INN_SHEET), (
        Step("1", "1-2", "Di01-verstrekVordering with vervaldatum 30 days ago", "Fo03"),
    )),
    Scenario(12, INNING, PROVIDER, "Foutsituatie: vrdLv01 for an unknown vordering", _ts(167, _INN_SHEET), (
        Step("1", "1-2", "vrdLv01 for a vorderingnummer never sent",
             "Fo02 (StUF064) or a vrdLa01 without antwoord (NOTES §6)"),
    )),
    Scenario(13, FA, PROVIDER, 'Leveren "Verstrek Financiele Verantwoording": minimal, then maximal',
             _ts(174, _FA_SHEET), (
        Step("1", "1", "Di01-verstrekFinancieleVerantwoording (min)", "Bv03"),
        Step("2", "2", "Di01-verstrekFinancieleVerantwoording (max)", "Bv03"),
    )),
    Scenario(14, FA, PROVIDER, "Foutsituatie: a verantwoordingsnummer that was processed before",
             _ts(179, _FA_SHEET), (
        Step("0", "pre", "Di01-verstrekFinancieleVerantwoording (scenario 13's precondition, own number)", "Bv03"),
        Step("1", "1-2", "the same verantwoording, new referentienummer", "Fo03"),
    )),
)

BY_NUMBER = {s.number: s for s in SCENARIOS}


def select(role: str, *, provider: bool, consumer: bool, numbers: set[int] | None = None) -> list[Scenario]:
    """The scenarios of ``role`` that the given options allow, in the runner's order (provider first)."""
    kinds = [k for k, wanted in ((PROVIDER, provider), (CONSUMER, consumer)) if wanted]
    chosen = [s for kind in kinds for s in SCENARIOS if s.role == role and s.kind == kind]
    return [s for s in chosen if numbers is None or s.number in numbers]
