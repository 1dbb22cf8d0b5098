"""The built-in schemas and the official release give the same verdict on random mutations of the official
test messages and of our own deeper messages (needs the kit).

Seeded: the seed is printed; rerun one with ``STUF_FIN_MUTATION_SEED=<seed>``.  ``STUF_FIN_MUTATIONS`` sets how
many mutations a run makes (default 2000, at least 500 count as a run).
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree
from support.kit import OFFICIAL_SCHEMAS, TESTBERICHTEN, requires_kit
from support.mutations import Mutation, Mutator

from stuf_fin.schema import SchemaIssue, get_validator, parse_bytes
from stuf_fin.schema.loader import SchemaSource, builtin_dir
from stuf_fin.schema.validator import MessageValidator

DATA = Path(__file__).parent / "data" / "schema"
MUTATIONS = int(os.environ.get("STUF_FIN_MUTATIONS") or 2000)
SHOWN = 5  # disagreements shown in full in a failure


def corpus(with_official: bool = True) -> dict[str, bytes]:
    files = sorted(DATA.glob("*.xml")) + (sorted(TESTBERICHTEN.glob("*.xml")) if with_official else [])
    return {p.name: p.read_bytes() for p in files}


def disagreements(mutator: Mutator, count: int, a: MessageValidator, b: MessageValidator,
                  verdicts: Counter | None = None) -> list[str]:
    """The mutations on which ``a`` and ``b`` disagree, each with the document and both error logs."""
    found = []
    for _ in range(count):
        mutation = mutator.next()
        root = parse_bytes(mutation.data).getroot()
        issues_a, issues_b = a.validate(root), b.validate(root)
        if verdicts is not None:
            verdicts["valid" if not issues_b else "invalid"] += 1
            verdicts.update(step.split(" ", 1)[0] for step in mutation.steps)
        if bool(issues_a) != bool(issues_b):
            found.append(report(mutation, a, issues_a, b, issues_b))
    return found


def report(mutation: Mutation, a: MessageValidator, issues_a: list[SchemaIssue], b: MessageValidator,
           issues_b: list[SchemaIssue]) -> str:
    def log(v: MessageValidator, issues: list[SchemaIssue]) -> str:
        return f"  {v.source.kind}: " + ("valid" if not issues else "\n    ".join(["invalid", *map(str, issues)]))

    lines = mutation.data.decode("utf-8", "replace").splitlines()
    shown = sorted({n for i in issues_a + issues_b for n in range(i.line - 4, i.line + 3) if 0 < n <= len(lines)})
    excerpt = [f"  {n:5d}  {lines[n - 1]}" for n in shown[:60]]
    return "\n".join([mutation.describe(), log(a, issues_a), log(b, issues_b), "  document (around the errors):",
                      *excerpt])


def failure(seed: int, found: list[str], count: int) -> str:
    return (f"{len(found)} of {count} mutations (seed {seed}; rerun with STUF_FIN_MUTATION_SEED={seed}) get "
            f"different verdicts:\n\n" + "\n\n".join(found[:SHOWN]))


@requires_kit
def test_builtin_and_official_agree_on_random_mutations(capsys: pytest.CaptureFixture[str]) -> None:
    seed = int(os.environ.get("STUF_FIN_MUTATION_SEED") or random.SystemRandom().randrange(10**6))
    count = max(MUTATIONS, 500)
    builtin, official = get_validator(), get_validator(OFFICIAL_SCHEMAS)
    mutator = Mutator(corpus(), seed)
    verdicts: Counter = Counter()
    started = time.perf_counter()
    found = disagreements(mutator, count, builtin, official, verdicts)
    with capsys.disabled():
        print(f"\n[schema equivalence] {count} mutations, seed {seed} (STUF_FIN_MUTATION_SEED={seed}): "
              f"{verdicts['valid']} valid, {verdicts['invalid']} invalid under the official set, "
              f"{len(found)} disagreements, {time.perf_counter() - started:.1f}s")
    assert not found, failure(seed, found, count)
    # the run was a real test: both verdicts occur often, and every kind of mutation was made
    assert min(verdicts["valid"], verdicts["invalid"]) > count // 10, verdicts
    kinds = {"value", "drop", "dup", "move", "rename", "nil", "empty", "text", "attr", "attrdrop", "addattr",
             "requalify"}
    assert all(verdicts[k] > 0 for k in kinds), verdicts


def test_mutations_are_reproducible() -> None:
    first, second = Mutator(corpus(False), 7), Mutator(corpus(False), 7)
    assert [first.next() for _ in range(50)] == [second.next() for _ in range(50)]
    assert [m.data for m in (Mutator(corpus(False), 8).next() for _ in range(5))] != \
           [m.data for m in (first.next() for _ in range(5))]


def test_the_comparison_finds_a_difference_when_there_is_one(tmp_path: Path) -> None:
    """A copy of xsd/ without one BTW category must disagree with xsd/ on some mutations."""
    copy = tmp_path / "xsd"
    shutil.copytree(builtin_dir(), copy)
    fin = copy / "fin0310.xsd"
    text = fin.read_text()
    assert text.count('<xs:enumeration value="VER"/>') >= 1
    fin.write_text(text.replace('<xs:enumeration value="VER"/>', ""))
    changed = MessageValidator(etree.XMLSchema(file=str(copy / "fin0310.xsd")), SchemaSource("changed", copy))
    messages = corpus(False)
    messages["vordering-VER.xml"] = messages["deep-Di01-verstrekVordering.xml"].replace(
        b"<FIN:BTWcategorie>NUL<", b"<FIN:BTWcategorie>VER<")
    found = disagreements(Mutator(messages, 1), 300, get_validator(), changed)
    assert found and "changed: invalid" in found[0] and "[facet 'enumeration']" in found[0]
