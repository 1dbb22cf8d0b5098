"""Schema validation speed: messages per second with the built-in schemas vs the official VNG release.

Both sets validate the same, already parsed, messages: the 10 official test messages and generated
Di01-verstrekVordering messages of 1, 100 and 1,000 vorderingen.  Every message is checked to be valid
under both sets first.  One thread (a validator validates one message at a time).  Rounds of the two sets
alternate, and time is the CPU time of this process, so that other load on the machine hits both sets alike
and does not count; each figure is the median of ``--rounds`` rounds of ``--seconds / --rounds`` seconds.

    python -m bench.validation [--schema-dir DIR] [--seconds 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import header
from stuf_fin.schema import SchemaLoadError, get_validator, parse_bytes
from stuf_fin.schema.loader import load
from stuf_fin.schema.validator import MessageValidator
from stuf_fin.selftest import generator as g

REPO = Path(__file__).resolve().parent.parent
KIT = Path(os.environ.get("STUF_FIN_KIT") or REPO.parent / "shared" / "stuf-fin-kit")


@dataclass
class Group:
    name: str
    messages: list[bytes]

    @property
    def kilobytes(self) -> float:
        return sum(map(len, self.messages)) / len(self.messages) / 1024


def groups(kit: Path) -> list[Group]:
    rng = random.Random(1)
    official = sorted((kit / "testberichten").glob("*.xml"))
    return [
        Group(f"official test messages ({len(official)})", [p.read_bytes() for p in official]),
        Group("Di01 with 1 vordering (10)", [g.di01_vordering(1, rng=rng, start=n) for n in range(10)]),
        Group("Di01 with 100 vorderingen", [g.di01_vordering(100, rng=rng)]),
        Group("Di01 with 1,000 vorderingen", [g.di01_vordering(1000, rng=rng)]),
    ]


def one_round(validator: MessageValidator, trees: list, seconds: float) -> float:
    """Messages per CPU second, validating ``trees`` over and over for at least ``seconds``."""
    done, started = 0, time.process_time()
    while True:
        for tree in trees:
            validator.validate(tree)
        done += len(trees)
        elapsed = time.process_time() - started
        if elapsed >= seconds:
            return done / elapsed


def rates(validators: list[MessageValidator], trees: list, seconds: float, rounds: int) -> list[float]:
    """Median messages per CPU second of each validator, their rounds alternating."""
    per_round: list[list[float]] = [[] for _ in validators]
    for _ in range(rounds):
        for results, validator in zip(per_round, validators, strict=True):
            results.append(one_round(validator, trees, seconds / rounds))
    return [statistics.median(results) for results in per_round]


def compile_seconds(schema_dir: Path | None) -> float:
    """CPU seconds to load and compile a set (what start-up costs)."""
    started = time.process_time()
    load(schema_dir)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validation", description=__doc__.split("\n")[0])
    parser.add_argument("--schema-dir", type=Path, default=None,
                        help="official release folder (default: $STUF_FIN_SCHEMA_DIR or the kit's vng-1.00.04)")
    parser.add_argument("--seconds", type=float, default=10.0, help="CPU seconds per figure (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per figure, the median is shown (default 5)")
    args = parser.parse_args(argv)
    schema_dir = args.schema_dir or Path(os.environ.get("STUF_FIN_SCHEMA_DIR") or KIT / "schemas" / "vng-1.00.04")
    try:
        builtin, official = get_validator(), get_validator(schema_dir)
    except SchemaLoadError as exc:
        print(f"bench.validation: {exc} (pass --schema-dir or set STUF_FIN_KIT)", file=sys.stderr)
        return 2
    if not (KIT / "testberichten").is_dir():
        print(f"bench.validation: the official test messages are not in {KIT / 'testberichten'} (set STUF_FIN_KIT)",
              file=sys.stderr)
        return 2

    print(header("Schema validation: built-in vs official (messages per CPU second, one thread)"))
    print(f"schemas: {builtin.source.describe()} vs {official.source.describe()}")
    print(f"compile once (CPU): built-in {compile_seconds(None):.2f}s, official {compile_seconds(schema_dir):.2f}s")
    print(f"{args.rounds} alternating rounds of {args.seconds / args.rounds:.1f}s CPU per figure, median shown\n")
    print(f"| {'messages':<32} | {'size':>9} | {'built-in msg/s':>14} | {'official msg/s':>14} | {'ratio':>5} |")
    print(f"|{'-' * 34}|{'-' * 11}|{'-' * 16}|{'-' * 16}|{'-' * 7}|")
    for group in groups(KIT):
        trees = [parse_bytes(m).getroot() for m in group.messages]
        for tree in trees:
            for validator in (builtin, official):
                issues = validator.validate(tree)
                if issues:
                    print(f"{group.name}: not valid under {validator.source.kind}: {issues[0]}", file=sys.stderr)
                    return 1
        ours, theirs = rates([builtin, official], trees, args.seconds, args.rounds)
        print(f"| {group.name:<32} | {group.kilobytes:>6.0f} KB | {ours:>14,.1f} | {theirs:>14,.1f} | "
              f"{ours / theirs:>5.2f} |", flush=True)
    print("\nratio = built-in / official (above 1: the built-in set is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
