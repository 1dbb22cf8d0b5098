"""Business rules for received vorderingen and verantwoordingen (NOTES §5, §9.3, §9.14).

Refused (a *fout*, the message gets Fo03 StUF058):

* ``vervaldatum`` before the day of receipt (Dutch local date), when
  ``Settings.reject_past_vervaldatum`` is on (scenario 11);
* ``factuurdatum`` or ``vervaldatum`` missing (absent or nil) while ``indicatorFactuurUitgestuurd`` is J
  (rule 5a);
* a total that is not the sum of the vorderingsregels (rule 5c).

Everything else that looks wrong but occurs in the official examples (§9.14) is accepted with a
*waarschuwing* for the log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from stuf_fin.fin.model import Verantwoording, Vordering, Vorderingstatus

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: The store keeps integers (cents, percentages, aantallen) as 64-bit numbers; xs:integer is unbounded.
MAX_GETAL = 2**63 - 1


@dataclass
class Findings:
    """What the rules found: reasons to refuse, and warnings to log."""

    fouten: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __iadd__(self, other: Findings) -> Findings:
        self.fouten += other.fouten
        self.warnings += other.warnings
        return self


def ontvangstdatum(ontvangen_op: datetime) -> date:
    """The day of receipt in the Netherlands."""
    return ontvangen_op.astimezone(AMSTERDAM).date()


def check_vordering(v: Vordering, received: date, *, weiger_vervaldatum_verleden: bool = True
                    ) -> Findings:
    """Check one vordering against the rules; ``received`` is the day of receipt."""
    b = Findings()
    fouten, warnings = b.fouten, b.warnings
    naam = _Name(v)
    if v.vervaldatum is not None and v.vervaldatum < received:
        reason = f"{naam}: vervaldatum {v.vervaldatum.isoformat()} ligt vóór de ontvangstdatum {received}"
        (fouten if weiger_vervaldatum_verleden else warnings).append(reason)
    if v.indicator_factuur_uitgestuurd == "J":
        ontbreekt = [element for element, waarde in (("factuurdatum", v.factuurdatum),
                                                     ("vervaldatum", v.vervaldatum)) if waarde is None]
        if ontbreekt:
            fouten.append(f"{naam}: {' en '.join(ontbreekt)} ontbreekt terwijl indicatorFactuurUitgestuurd J is")
        if v.factuurnummer:
            warnings.append(f"{naam}: factuurnummer is gevuld terwijl indicatorFactuurUitgestuurd J is")
    if not _in_range(v):
        fouten += _out_of_range(naam, _numbers(v))
    _totals(v, naam, b)
    _rules(v, naam, b)
    if v.debiteur is None:
        warnings.append(f"{naam}: geen debiteur")
    incasso = v.automatische_incasso
    if incasso is not None and incasso.rekeningnummer and not iban_valid(incasso.rekeningnummer):
        warnings.append(f"{naam}: rekeningnummer {incasso.rekeningnummer} is geen geldig IBAN (mod 97)")
    schema = v.invorderingsschema
    if schema is not None and schema.invorderingsregime == "EV" and any(
            t.vervaldatum is not None for t in schema.termijnen):
        warnings.append(f"{naam}: termijn met vervaldatum bij invorderingsregime EV")
    return b


class _Name:
    """A vordering's key in a finding, made only when a finding is written (most vorderingen have none)."""

    __slots__ = ("v",)

    def __init__(self, v: Vordering):
        self.v = v

    def __str__(self) -> str:
        return str(self.v.sleutel)


def _numbers(v: Vordering) -> list[tuple[str, int | None]]:
    numbers: list[tuple[str, int | None]] = [
        ("totaalbedragExclBTW", v.totaalbedrag_excl_btw), ("totaalbedragBTW", v.totaalbedrag_btw),
        ("totaalbedragInclBTW", v.totaalbedrag_incl_btw)]
    for r in v.vorderingsregels:
        numbers += [("bedragExclBTW", r.bedrag_excl_btw), ("bedragInclBTW", r.bedrag_incl_btw),
                    ("bedragBTW", r.bedrag_btw), ("btwPercentage", r.btw_percentage), ("aantal", r.aantal),
                    ("stuksPrijsExclBTW", r.stuks_prijs_excl_btw)]
    numbers += [("totaalregelsBTW/totaalbedragBTW", t.totaalbedrag_btw) for t in v.totaalregels_btw]
    if v.invorderingsschema is not None:
        numbers += [("termijnbedrag", t.termijnbedrag) for t in v.invorderingsschema.termijnen]
    if v.vorderingstatus is not None:
        numbers += [("totaalBetaald", v.vorderingstatus.totaal_betaald),
                    ("deelBedragBetaald", v.vorderingstatus.deel_bedrag_betaald)]
    return numbers


def _in_range(v: Vordering) -> bool:
    """Whether every number of ``v`` fits the store (the quick check; :func:`_numbers` names the others)."""
    waarden: list[int | None] = [v.totaalbedrag_excl_btw, v.totaalbedrag_btw, v.totaalbedrag_incl_btw]
    for r in v.vorderingsregels:
        waarden += (r.bedrag_excl_btw, r.bedrag_incl_btw, r.bedrag_btw, r.btw_percentage, r.aantal,
                    r.stuks_prijs_excl_btw)
    waarden += [t.totaalbedrag_btw for t in v.totaalregels_btw]
    if v.invorderingsschema is not None:
        waarden += [t.termijnbedrag for t in v.invorderingsschema.termijnen]
    if v.vorderingstatus is not None:
        waarden += (v.vorderingstatus.totaal_betaald, v.vorderingstatus.deel_bedrag_betaald)
    numbers = [w for w in waarden if w is not None]
    return not numbers or (max(numbers) <= MAX_GETAL and min(numbers) >= -MAX_GETAL)


def _out_of_range(naam: object, numbers: list[tuple[str, int | None]]) -> list[str]:
    return [f"{naam}: {element} {waarde} valt buiten het ondersteunde bereik (64 bits)"
            for element, waarde in numbers if waarde is not None and abs(waarde) > MAX_GETAL]


def _totals(v: Vordering, naam: object, b: Findings) -> None:
    """The totals against the sums of the vorderingsregels (a refusal), the BTW totals per category (a warning)."""
    regels = v.vorderingsregels
    excl = btw = incl = 0
    zonder_excl = zonder_btw = zonder_incl = False  # a regel without that amount (nil): no sum to check
    per_categorie: dict[str | None, int] = defaultdict(int)
    for r in regels:
        if r.bedrag_excl_btw is None:
            zonder_excl = True
        else:
            excl += r.bedrag_excl_btw
        if r.bedrag_btw is None:
            zonder_btw = True
        else:
            btw += r.bedrag_btw
            per_categorie[r.btw_categorie] += r.bedrag_btw
        if r.bedrag_incl_btw is None:
            zonder_incl = True
        else:
            incl += r.bedrag_incl_btw
    for element, total, sum_, without in (("totaalbedragExclBTW", v.totaalbedrag_excl_btw, excl, zonder_excl),
                                          ("totaalbedragBTW", v.totaalbedrag_btw, btw, zonder_btw),
                                          ("totaalbedragInclBTW", v.totaalbedrag_incl_btw, incl, zonder_incl)):
        if without:
            b.warnings.append(f"{naam}: {element} niet te controleren, een vorderingsregel heeft geen bedrag")
        elif sum_ != total:
            b.fouten.append(f"{naam}: {element} {total} is niet de som van de vorderingsregels ({sum_})")
    if v.totaalbedrag_excl_btw + v.totaalbedrag_btw != v.totaalbedrag_incl_btw:
        b.warnings.append(f"{naam}: totaalbedragExclBTW + totaalbedragBTW ≠ totaalbedragInclBTW")
    for t in v.totaalregels_btw:
        if t.totaalbedrag_btw is not None and t.totaalbedrag_btw != per_categorie.get(t.btw_categorie, 0):
            b.warnings.append(
                f"{naam}: totaalregelsBTW {t.btw_categorie}: {t.totaalbedrag_btw} is niet de som van de "
                f"regels in die categorie ({per_categorie.get(t.btw_categorie, 0)})")


def _rules(v: Vordering, naam: object, b: Findings) -> None:
    for n, r in enumerate(v.vorderingsregels, 1):
        excl, btw, incl = r.bedrag_excl_btw, r.bedrag_btw, r.bedrag_incl_btw
        if excl is not None and btw is not None and incl is not None and excl + btw != incl:
            b.warnings.append(f"{naam}: vorderingsregel {n}: bedragExclBTW + bedragBTW ≠ bedragInclBTW")
        if r.aantal is not None and r.stuks_prijs_excl_btw is not None and excl is not None \
                and r.aantal * r.stuks_prijs_excl_btw != excl:
            b.warnings.append(f"{naam}: vorderingsregel {n}: aantal × stuksPrijsExclBTW "
                              f"({r.aantal * r.stuks_prijs_excl_btw}) ≠ bedragExclBTW ({excl})")
        if r.btw_percentage is not None and excl is not None and btw is not None \
                and abs(excl * r.btw_percentage / 10000 - btw) > 1:
            b.warnings.append(f"{naam}: vorderingsregel {n}: btwPercentage {r.btw_percentage} "
                              f"(honderdsten van een procent) past niet bij bedragBTW {btw}")


def check_status(status: Vorderingstatus, naam: object) -> Findings:
    """A status (of a status change): only amounts the store cannot hold are refused."""
    return Findings(fouten=_out_of_range(naam, [("totaalBetaald", status.totaal_betaald),
                                                ("deelBedragBetaald", status.deel_bedrag_betaald)]))


def check_verantwoording(fvw: Verantwoording) -> Findings:
    """A verantwoording: amounts the store cannot hold are refused, other oddities only warned about."""
    naam = fvw.sleutel
    b = Findings()
    if fvw.begindatum > fvw.einddatum:
        b.warnings.append(f"{naam}: begindatum {fvw.begindatum} ligt na einddatum {fvw.einddatum}")
    for n, boeking in enumerate(fvw.boekingen, 1):
        excl, btw, incl = boeking.boekingbedrag_excl_btw, boeking.boekingbedrag_btw, boeking.boekingbedrag_incl_btw
        b.fouten += _out_of_range(naam, [("boekingbedragExclBTW", excl), ("boekingbedragBTW", btw),
                                         ("boekingbedragInclBTW", incl)])
        if excl is not None and btw is not None and incl is not None and excl + btw != incl:
            b.warnings.append(f"{naam}: boeking {n}: boekingbedragExclBTW + boekingbedragBTW ≠ "
                              "boekingbedragInclBTW")
    return b


def iban_valid(iban: str) -> bool:
    """ISO 13616 check digits (mod 97 = 1)."""
    chars = iban.replace(" ", "").upper()
    if len(chars) < 5 or not chars.isalnum():
        return False
    reordered = chars[4:] + chars[:4]
    try:
        return int("".join(str(int(c, 36)) for c in reordered)) % 97 == 1
    except ValueError:
        return False
