"""Compares what two brokers' clients saw, and applies the known differences.

Paths name a place in a scenario's observations with dots: `records.3.offset`
is the offset of the fourth record; the root is `$`. They are matched against
the known-differences globs with fnmatch, so `records.*.timestamp` works.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import tomllib
from pathlib import Path
from typing import Any, Optional

ABSENT = "<absent>"


@dataclasses.dataclass(frozen=True)
class Difference:
    path: str
    kafka: Any
    atoll: Any

    def describe(self) -> str:
        return (f"  at {self.path}:\n    kafka: {json.dumps(self.kafka, sort_keys=True)}\n"
                f"    atoll: {json.dumps(self.atoll, sort_keys=True)}")


def _join(path: str, key: object) -> str:
    return str(key) if path == "$" else f"{path}.{key}"


def differences(kafka: Any, atoll: Any, path: str = "$") -> list[Difference]:
    """Every place where the two observation trees disagree, depth first."""
    if isinstance(kafka, dict) and isinstance(atoll, dict):
        out: list[Difference] = []
        for key in sorted(set(kafka) | set(atoll), key=str):
            out += differences(kafka.get(key, ABSENT), atoll.get(key, ABSENT), _join(path, key))
        return out
    if isinstance(kafka, list) and isinstance(atoll, list):
        out = []
        for i in range(max(len(kafka), len(atoll))):
            k = kafka[i] if i < len(kafka) else ABSENT
            a = atoll[i] if i < len(atoll) else ABSENT
            out += differences(k, a, _join(path, i))
        return out
    # bool is an int in Python: keep True and 1 apart.
    if type(kafka) is not type(atoll) or kafka != atoll:
        return [Difference(path, kafka, atoll)]
    return []


@dataclasses.dataclass
class KnownDifference:
    scenario: str
    paths: list[str]
    reason: str
    issue: int
    used: bool = False

    def covers(self, scenario: str, path: str) -> bool:
        return fnmatch.fnmatchcase(scenario, self.scenario) and any(
            p == "*" or fnmatch.fnmatchcase(path, p) for p in self.paths)


def load_known(path: Path) -> list[KnownDifference]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    entries = []
    for i, e in enumerate(data.get("difference", [])):
        missing = [k for k in ("scenario", "paths", "reason", "issue") if k not in e]
        if missing:
            raise ValueError(f"{path}: entry {i + 1} lacks {', '.join(missing)}")
        if not str(e["reason"]).strip():
            raise ValueError(f"{path}: entry {i + 1} ({e['scenario']}) gives no reason")
        entries.append(KnownDifference(e["scenario"], list(e["paths"]), e["reason"], int(e["issue"])))
    return entries


@dataclasses.dataclass
class Verdict:
    unexplained: list[Difference]
    explained: list[tuple[Difference, KnownDifference]]
    stale: list[KnownDifference]  # entries for this scenario that matched nothing


def judge(scenario: str, kafka: Any, atoll: Any, known: list[KnownDifference]) -> Verdict:
    mine = [k for k in known if fnmatch.fnmatchcase(scenario, k.scenario)]
    unexplained, explained = [], []
    matched: set[int] = set()
    for d in differences(kafka, atoll):
        entry: Optional[KnownDifference] = next((k for k in mine if k.covers(scenario, d.path)), None)
        if entry is None:
            unexplained.append(d)
        else:
            entry.used = True
            matched.add(id(entry))
            explained.append((d, entry))
    # A glob entry may cover several scenarios; only an exact-name entry that
    # matched nothing here is stale on its own (globs are checked at the end).
    stale = [k for k in mine if k.scenario == scenario and id(k) not in matched]
    return Verdict(unexplained, explained, stale)
