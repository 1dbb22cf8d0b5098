"""A logging filter that keeps personal data and secrets out of the log.

- BSNs: a 9-digit number (not part of a longer number) is masked to ``*****1234`` when it passes the
  BSN elfproef or stands within 40 characters after a BSN word (``bsn``, ``burgerservicenummer``,
  ``sofinummer``, ``inp.bsn``).
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


def elfproef(digits: str) -> bool:
    """The BSN eleven test (weights 9..2, last digit -1)."""
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


def mask(text: str) -> str:
    """``text`` with BSNs and secrets masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    if not _NINE.search(text):
        return text
    contexts = [m.end() for m in _BSN_WORDS.finditer(text)]

    def replace(match: re.Match[str]) -> str:
        digits = match.group(1)
        near_word = any(0 <= match.start() - end <= 40 for end in contexts)
        return "*****" + digits[5:] if near_word or elfproef(digits) else digits

    return _NINE.sub(replace, text)


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
