"""A logging filter that keeps personal data and secrets out of the log.

- BSNs: a 9-digit number (not part of a longer number) is masked to ``*****1234`` when it passes the
  BSN elfproef or stands within 40 characters after a BSN word (``bsn``, ``burgerservicenummer``,
  ``sofinummer``, ``inp.bsn``).
- IBANs: an account number in IBAN form (two letters, two check digits, 11-30 letters and digits) is masked to
  ``NL91**********4300`` when its check digits are right (ISO 13616, mod 97) or it stands within 40 characters
  after ``iban`` or ``rekeningnummer``.
- Secrets: the value after ``Authorization:``, the content of ``Password`` elements, values of
  ``password``/``secret``/``token``-like keys, and the password in URLs (``scheme://user:***@host``).

It rewrites the finished message (and a formatted traceback) of every record that passes the handler.
"""

from __future__ import annotations

import logging
import re

_BSN_WORDS = re.compile(r"(?i)(?:\bbsn|burgerservicenummer|sofinummer|sofi-nummer)")
_NINE = re.compile(r"(?<![0-9])([0-9]{9})(?![0-9])")
_SECRETS = (
    (re.compile(r"(?i)(authorization\b['\"]?\s*[:=]\s*['\"]?)(?:(?:basic|bearer|digest)\s+)?[^\s'\",;]+"),
     r"\1***"),
    (re.compile(r"(?is)(<(?:[\w.-]+:)?Password\b[^>]*(?<!/)>).*?(</(?:[\w.-]+:)?Password\s*>)"), r"\1***\2"),
    (re.compile(r"(?i)\b((?:[\w-]*_)?(?:password|passwd|pwd|secret|token|nonce)['\"]?\s*[:=]\s*['\"]?)"
                r"[^\s'\",;&<]+"), r"\1***"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), r"\1***@"),
)

#: What each of :data:`_SECRETS` needs to match (one search instead of four substitutions).
_SECRET_WORDS = re.compile(r"(?i)authorization|passw|pwd|secret|token|nonce|://")

_IBAN_WORDS = re.compile(r"(?i)(?:iban|rekeningnummer)")
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?))"
                   r"(?![A-Za-z0-9])")


def iban_ok(text: str) -> bool:
    """The IBAN check (ISO 13616): letters to numbers, the first four characters moved to the end, mod 97 = 1."""
    compact = text.replace(" ", "")
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def mask_personal_data(text: str) -> str:
    """``text`` with BSNs and IBANs masked (not secrets: for showing data, e.g. in the console)."""
    if _IBAN.search(text):
        iban_contexts = [m.end() for m in _IBAN_WORDS.finditer(text)]

        def hide_iban(match: re.Match[str]) -> str:
            value = match.group(1)
            compact = value.replace(" ", "")
            if any(0 <= match.start() - end <= 40 for end in iban_contexts) or iban_ok(value):
                return compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
            return value

        text = _IBAN.sub(hide_iban, text)
    if not _NINE.search(text):
        return text
    contexts = [m.end() for m in _BSN_WORDS.finditer(text)]

    def replace(match: re.Match[str]) -> str:
        digits = match.group(1)
        near_word = any(0 <= match.start() - end <= 40 for end in contexts)
        return "*****" + digits[5:] if near_word or bsn_checksum_ok(digits) else digits

    return _NINE.sub(replace, text)


def bsn_checksum_ok(digits: str) -> bool:
    """Whether ``digits`` pass the BSN eleven test, the elfproef (weights 9..2, last digit -1)."""
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


def mask(text: str) -> str:
    """``text`` with secrets, BSNs and IBANs masked."""
    if _SECRET_WORDS.search(text):  # (every log line is masked: most name no secret at all)
        for pattern, replacement in _SECRETS:
            text = pattern.sub(replacement, text)
    return mask_personal_data(text)


class MaskingFilter(logging.Filter):
    """Masks BSNs and secrets in every record (install it on the handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)  # formatters use the cached text
        return True
