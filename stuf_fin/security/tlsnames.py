"""Certificate names and fingerprints, without third-party libraries.

A distinguished name is compared as a *set* of ``(ATTRIBUTE, value)`` pairs: the order of the
RDNs (RFC 4514 writes them reversed) does not matter, attribute names are case-insensitive and
long names (``commonName``) equal short ones (``CN``).
"""

from __future__ import annotations

import hashlib
import ssl

#: Python's ``getpeercert()`` long names -> RFC 4514 short names.
SHORT = {
    "commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C",
    "localityName": "L", "stateOrProvinceName": "ST", "streetAddress": "STREET", "domainComponent": "DC",
    "userId": "UID", "serialNumber": "SERIALNUMBER", "emailAddress": "EMAILADDRESS",
    "organizationIdentifier": "ORGANIZATIONIDENTIFIER", "givenName": "GIVENNAME", "surname": "SN",
    "title": "TITLE",
}
_ALIASES = {long.upper(): short for long, short in SHORT.items()} | {"E": "EMAILADDRESS", "S": "ST"}
_SPECIAL = ',+"\\<>;='

Name = frozenset[tuple[str, str]]


def _attribute(name: str) -> str:
    upper = name.strip().upper()
    return _ALIASES.get(upper, upper)


def parse_name(text: str) -> Name:
    """``"CN=tsa.example.nl,O=Gemeente X"`` -> pairs; backslash escapes as in RFC 4514."""
    chars: list[tuple[str, bool]] = []  # (character, escaped)
    escaped = False
    for char in text:
        if escaped or char != "\\":
            chars.append((char, escaped))
            escaped = False
        else:
            escaped = True
    if escaped:
        raise ValueError("ends with a backslash")
    parts: list[list[tuple[str, bool]]] = [[]]
    for char, esc in chars:
        if char in ",+" and not esc:
            parts.append([])
        else:
            parts[-1].append((char, esc))
    pairs = []
    for part in parts:
        split = next((i for i, (c, esc) in enumerate(part) if c == "=" and not esc), None)
        name = "".join(c for c, _ in part[:split]).strip() if split is not None else ""
        value = "".join(c for c, _ in part[split + 1:]).strip() if split is not None else ""
        if not name or not value:
            raise ValueError(f"{''.join(c for c, _ in part).strip()!r} is not ATTRIBUTE=value")
        pairs.append((_attribute(name), value))
    return frozenset(pairs)


def format_name(rdns: tuple[tuple[tuple[str, str], ...], ...]) -> str:
    """RFC 4514 text of a ``getpeercert()['subject']`` (most specific RDN first)."""
    def escape(value: str) -> str:
        return "".join("\\" + c if c in _SPECIAL else c for c in value)

    return ",".join("+".join(f"{SHORT.get(k, k)}={escape(v)}" for k, v in rdn) for rdn in reversed(rdns))


def fingerprint_pem(pem: str) -> str:
    """SHA-256 fingerprint (lower-case hex) of a PEM certificate."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
