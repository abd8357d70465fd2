"""The comparison itself: it must catch what differs and explain only what is listed."""

from compare import KnownDifference, differences, judge


def test_identical_trees_have_no_differences() -> None:
    seen = {"records": [{"offset": 0, "key": "a"}], "error": None}
    assert differences(seen, {"records": [{"offset": 0, "key": "a"}], "error": None}) == []


def test_a_wrong_error_code_is_named_with_both_answers() -> None:
    d = differences({"create": [{"error": "INVALID_PARTITIONS"}]},
                    {"create": [{"error": "INVALID_REQUEST"}]})
    assert [(x.path, x.kafka, x.atoll) for x in d] == [
        ("create.0.error", "INVALID_PARTITIONS", "INVALID_REQUEST")]


def test_missing_items_keys_and_types_differ() -> None:
    d = differences({"a": [1, 2], "b": 1, "c": True}, {"a": [1], "c": 1, "d": 0})
    assert {x.path for x in d} == {"a.1", "b", "c", "d"}


def test_listed_differences_are_explained_and_others_are_not() -> None:
    known = [KnownDifference("java.producer.*", ["produce.*.error"], "no idempotence", 14)]
    v = judge("java.producer.default_config",
              {"produce": [{"error": None, "offset": 0}]},
              {"produce": [{"error": "UnsupportedVersionException", "offset": 1}]}, known)
    assert [d.path for d in v.unexplained] == ["produce.0.offset"]
    assert [d.path for d, _ in v.explained] == ["produce.0.error"]
    assert known[0].used


def test_an_exact_entry_without_a_difference_is_stale() -> None:
    known = [KnownDifference("go.x", ["*"], "gone", 14)]
    assert judge("go.x", {"a": 1}, {"a": 1}, known).stale == known
