"""Business rules for received vorderingen and verantwoordingen (NOTES §5, §9.3, §9.14).

Refused (an *error*, the message gets Fo03 StUF058):

* ``vervaldatum`` before the day of receipt (Dutch local date), when
  ``Settings.reject_past_vervaldatum`` is on (scenario 11);
* ``factuurdatum`` or ``vervaldatum`` missing (absent or nil) while ``indicatorFactuurUitgestuurd`` is J
  (rule 5a);
* a total that is not the sum of the vorderingsregels (rule 5c).

Everything else that looks wrong but occurs in the official examples (§9.14) is accepted with a
*warning* for the log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from stuf_fin.fin.model import Verantwoording, Vordering, Vorderingstatus

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: The store keeps integers (cents, percentages, aantallen) as 64-bit numbers; xs:integer is unbounded.
MAX_NUMBER = 2**63 - 1


@dataclass
class Findings:
    """What the rules found: reasons to refuse, and warnings to log."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __iadd__(self, other: Findings) -> Findings:
        self.errors += other.errors
        self.warnings += other.warnings
        return self


def day_of_receipt(received_at: datetime) -> date:
    """The day of receipt in the Netherlands."""
    return received_at.astimezone(AMSTERDAM).date()


def check_vordering(v: Vordering, received: date, *, reject_past_vervaldatum: bool = True
                    ) -> Findings:
    """Check one vordering against the rules; ``received`` is the day of receipt."""
    b = Findings()
    errors, warnings = b.errors, b.warnings
    name = _Name(v)
    if v.vervaldatum is not None and v.vervaldatum < received:
        reason = f"{name}: vervaldatum {v.vervaldatum.isoformat()} ligt vóór de ontvangstdatum {received}"
        (errors if reject_past_vervaldatum else warnings).append(reason)
    if v.indicator_factuur_uitgestuurd == "J":
        missing = [element for element, value in (("factuurdatum", v.factuurdatum),
                                                  ("vervaldatum", v.vervaldatum)) if value is None]
        if missing:
            errors.append(f"{name}: {' en '.join(missing)} ontbreekt terwijl indicatorFactuurUitgestuurd J is")
        if v.factuurnummer:
            warnings.append(f"{name}: factuurnummer is gevuld terwijl indicatorFactuurUitgestuurd J is")
    if not _in_range(v):
        errors += _out_of_range(name, _numbers(v))
    _totals(v, name, b)
    _rules(v, name, b)
    if v.debiteur is None:
        warnings.append(f"{name}: geen debiteur")
    incasso = v.automatische_incasso
    if incasso is not None and incasso.rekeningnummer and not iban_valid(incasso.rekeningnummer):
        warnings.append(f"{name}: rekeningnummer {incasso.rekeningnummer} is geen geldig IBAN (mod 97)")
    schema = v.invorderingsschema
    if schema is not None and schema.invorderingsregime == "EV" and any(
            t.vervaldatum is not None for t in schema.termijnen):
        warnings.append(f"{name}: termijn met vervaldatum bij invorderingsregime EV")
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
    values: list[int | None] = [v.totaalbedrag_excl_btw, v.totaalbedrag_btw, v.totaalbedrag_incl_btw]
    for r in v.vorderingsregels:
        values += (r.bedrag_excl_btw, r.bedrag_incl_btw, r.bedrag_btw, r.btw_percentage, r.aantal,
                    r.stuks_prijs_excl_btw)
    values += [t.totaalbedrag_btw for t in v.totaalregels_btw]
    if v.invorderingsschema is not None:
        values += [t.termijnbedrag for t in v.invorderingsschema.termijnen]
    if v.vorderingstatus is not None:
        values += (v.vorderingstatus.totaal_betaald, v.vorderingstatus.deel_bedrag_betaald)
    numbers = [w for w in values if w is not None]
    return not numbers or (max(numbers) <= MAX_NUMBER and min(numbers) >= -MAX_NUMBER)


def _out_of_range(name: object, numbers: list[tuple[str, int | None]]) -> list[str]:
    return [f"{name}: {element} {value} valt buiten het ondersteunde bereik (64 bits)"
            for element, value in numbers if value is not None and abs(value) > MAX_NUMBER]


def _totals(v: Vordering, name: object, b: Findings) -> None:
    """The totals against the sums of the vorderingsregels (a refusal), the BTW totals per category (a warning)."""
    regels = v.vorderingsregels
    excl = btw = incl = 0
    without_excl = without_btw = without_incl = False  # a regel without that amount (nil): no sum to check
    per_category: dict[str | None, int] = defaultdict(int)
    for r in regels:
        if r.bedrag_excl_btw is None:
            without_excl = True
        else:
            excl += r.bedrag_excl_btw
        if r.bedrag_btw is None:
            without_btw = True
        else:
            btw += r.bedrag_btw
            per_category[r.btw_categorie] += r.bedrag_btw
        if r.bedrag_incl_btw is None:
            without_incl = True
        else:
            incl += r.bedrag_incl_btw
    for element, total, sum_, without in (("totaalbedragExclBTW", v.totaalbedrag_excl_btw, excl, without_excl),
                                          ("totaalbedragBTW", v.totaalbedrag_btw, btw, without_btw),
                                          ("totaalbedragInclBTW", v.totaalbedrag_incl_btw, incl, without_incl)):
        if without:
            b.warnings.append(f"{name}: {element} niet te controleren, een vorderingsregel heeft geen bedrag")
        elif sum_ != total:
            b.errors.append(f"{name}: {element} {total} is niet de som van de vorderingsregels ({sum_})")
    if v.totaalbedrag_excl_btw + v.totaalbedrag_btw != v.totaalbedrag_incl_btw:
        b.warnings.append(f"{name}: totaalbedragExclBTW + totaalbedragBTW ≠ totaalbedragInclBTW")
    for t in v.totaalregels_btw:
        if t.totaalbedrag_btw is not None and t.totaalbedrag_btw != per_category.get(t.btw_categorie, 0):
            b.warnings.append(
                f"{name}: totaalregelsBTW {t.btw_categorie}: {t.totaalbedrag_btw} is niet de som van de "
                f"regels in die categorie ({per_category.get(t.btw_categorie, 0)})")


def _rules(v: Vordering, name: object, b: Findings) -> None:
    for n, r in enumerate(v.vorderingsregels, 1):
        excl, btw, incl = r.bedrag_excl_btw, r.bedrag_btw, r.bedrag_incl_btw
        if excl is not None and btw is not None and incl is not None and excl + btw != incl:
            b.warnings.append(f"{name}: vorderingsregel {n}: bedragExclBTW + bedragBTW ≠ bedragInclBTW")
        if r.aantal is not None and r.stuks_prijs_excl_btw is not None and excl is not None \
                and r.aantal * r.stuks_prijs_excl_btw != excl:
            b.warnings.append(f"{name}: vorderingsregel {n}: aantal × stuksPrijsExclBTW "
                              f"({r.aantal * r.stuks_prijs_excl_btw}) ≠ bedragExclBTW ({excl})")
        if r.btw_percentage is not None and excl is not None and btw is not None \
                and abs(excl * r.btw_percentage / 10000 - btw) > 1:
            b.warnings.append(f"{name}: vorderingsregel {n}: btwPercentage {r.btw_percentage} "
                              f"(honderdsten van een procent) past niet bij bedragBTW {btw}")


def check_status(status: Vorderingstatus, name: object) -> Findings:
    """A status (of a status change): only amounts the store cannot hold are refused."""
    return Findings(errors=_out_of_range(name, [("totaalBetaald", status.totaal_betaald),
                                                ("deelBedragBetaald", status.deel_bedrag_betaald)]))


def check_verantwoording(fvw: Verantwoording) -> Findings:
    """A verantwoording: amounts the store cannot hold are refused, other oddities only warned about."""
    name = fvw.sleutel
    b = Findings()
    if fvw.begindatum > fvw.einddatum:
        b.warnings.append(f"{name}: begindatum {fvw.begindatum} ligt na einddatum {fvw.einddatum}")
    for n, boeking in enumerate(fvw.boekingen, 1):
        excl, btw, incl = boeking.boekingbedrag_excl_btw, boeking.boekingbedrag_btw, boeking.boekingbedrag_incl_btw
        b.errors += _out_of_range(name, [("boekingbedragExclBTW", excl), ("boekingbedragBTW", btw),
                                         ("boekingbedragInclBTW", incl)])
        if excl is not None and btw is not None and incl is not None and excl + btw != incl:
            b.warnings.append(f"{name}: boeking {n}: boekingbedragExclBTW + boekingbedragBTW ≠ "
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
