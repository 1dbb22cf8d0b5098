"""Business-rule warnings of one message are one log line (bulk messages have hundreds)."""

from __future__ import annotations

import logging

from stuf_fin.pipeline.pipeline import WARNINGS_SHOWN, log_warnings


def test_warnings_of_a_message_are_one_line_with_a_count(caplog):
    warnings = [f"vordering V{i}: geen debiteur" for i in range(WARNINGS_SHOWN + 5)]
    with caplog.at_level(logging.WARNING, logger="stuf_fin.pipeline"):
        log_warnings("Di01-verstrekVordering", "REF1", warnings)
        log_warnings("Di01-verstrekVordering", "REF2", [])
    [record] = caplog.records
    text = record.getMessage()
    assert text.startswith(f"Di01-verstrekVordering REF1: {WARNINGS_SHOWN + 5} warning(s): vordering V0:")
    assert f"V{WARNINGS_SHOWN - 1}:" in text and f"V{WARNINGS_SHOWN}:" not in text
    assert text.endswith("(+5 more)")
