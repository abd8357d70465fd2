"""Every scenario, run against Apache Kafka and atolld, must look the same to the client.

A difference fails the test, naming the scenario, the path and both answers,
unless known_differences.toml lists it; a listed difference that no longer
occurs fails too, so the list stays short and true.
"""

from __future__ import annotations

import fnmatch

import pytest

from compare import judge
from conftest import EXPLAINED

RAN: set[str] = set()


def test_scenario(case, runs, known) -> None:
    driver, scenario = case
    both = runs.get(driver)
    on_kafka, on_atoll = both["kafka"].outcome(scenario), both["atoll"].outcome(scenario)
    RAN.add(scenario)
    if "failed" in on_kafka:
        pytest.fail(f"{scenario} failed against Apache Kafka itself, so it proves nothing:\n"
                    f"{on_kafka['failed']}", pytrace=False)
    kafka_seen = on_kafka["observations"]
    atoll_seen = on_atoll["observations"] if "observations" in on_atoll else {
        "failed": on_atoll["failed"]}
    verdict = judge(scenario, kafka_seen, atoll_seen, known)
    for d, entry in verdict.explained:
        EXPLAINED.append(f"{scenario} at {d.path} (issue {entry.issue}): {entry.reason.strip()}")
    problems = []
    if verdict.unexplained:
        problems.append(f"{scenario}: atolld and Apache Kafka differ\n"
                        + "\n".join(d.describe() for d in verdict.unexplained[:20]))
        if len(verdict.unexplained) > 20:
            problems.append(f"  ... and {len(verdict.unexplained) - 20} more")
    for entry in verdict.stale:
        problems.append(f"{scenario}: known_differences.toml lists a difference at "
                        f"{entry.paths} (issue {entry.issue}) that no longer occurs; remove it")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_every_known_difference_still_occurs(known) -> None:
    """Glob entries: each must have explained something among the scenarios that ran."""
    if not RAN:
        pytest.skip("no scenario ran")
    stale = [k for k in known if not k.used and any(fnmatch.fnmatchcase(s, k.scenario) for s in RAN)]
    assert not stale, "known_differences.toml entries that explain nothing any more:\n" + "\n".join(
        f"  {k.scenario} {k.paths} (issue {k.issue})" for k in stale)
