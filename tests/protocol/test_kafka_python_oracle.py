"""Our codecs against an independent implementation: kafka-python's own
protocol classes (Debian's python3-kafka 2.0.2, non-flexible versions of
about 25 APIs). For every class kafka-python has, random values are encoded
by kafka-python; our codec must decode the bytes, leaving nothing over, and
encode exactly the same bytes again."""

import importlib
import inspect
import pkgutil
import random

import pytest

import kafka.protocol as kp
from kafka.protocol.api import Request, Response
from kafka.protocol import types as kt

from conftest import api_names

SAMPLES_PER_CLASS = 25


def kafka_python_classes():
    found = []
    for info in pkgutil.iter_modules(kp.__path__):
        module = importlib.import_module("kafka.protocol." + info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, (Request, Response)) and cls not in (Request, Response)
                    and isinstance(getattr(cls, "API_KEY", None), int)
                    and isinstance(getattr(cls, "API_VERSION", None), int)):
                found.append(cls)
    return sorted(set(found), key=lambda c: (c.API_KEY, c.API_VERSION, c.__name__))


# Where kafka-python 2.0.2 itself departs from the Kafka protocol (checked
# against the protocol's message schemas); our codec must disagree there.
KAFKA_PYTHON_ERRATA = {
    ("ProduceResponse_v8", 8): "lacks record_errors and error_message (KIP-467)",
    ("OffsetRequest_v4", 4): "current_leader_epoch as int64; the protocol has int32",
    ("OffsetRequest_v5", 5): "current_leader_epoch as int64; the protocol has int32",
    ("GroupCoordinatorResponse_v1", 1): "lacks throttle_time_ms",
    ("DescribeGroupsResponse_v3", 3): "lacks authorized_operations",
    ("DescribeAclsRequest_v2", 2): "not flexible; the protocol's v2 is",
    ("DescribeAclsResponse_v2", 2): "not flexible; the protocol's v2 is",
}


def has_bare_string(t):
    """kafka-python declares some fields with the String class instead of an
    instance; it cannot encode values of those, only empty arrays of them."""
    if t is kt.String:
        return True
    if isinstance(t, kt.Schema):
        return any(has_bare_string(f) for f in t.fields)
    if isinstance(t, kt.Array):
        return has_bare_string(t.array_of)
    return False


def random_value(t, rng):
    """A random value of kafka-python schema type `t`."""
    if isinstance(t, kt.Schema):
        return tuple(random_value(f, rng) for f in t.fields)
    if isinstance(t, kt.Array):
        if has_bare_string(t.array_of):
            return []
        return [random_value(t.array_of, rng) for _ in range(rng.randint(0, 3))]
    if isinstance(t, kt.String):
        return "".join(rng.choice("abcxyz-_.") for _ in range(rng.randint(0, 10)))
    if t is kt.Bytes or isinstance(t, kt.Bytes):
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 20)))
    if t is kt.Boolean:
        return rng.choice([True, False])
    bits = {kt.Int8: 8, kt.Int16: 16, kt.Int32: 32, kt.Int64: 64}[t]
    return rng.choice([0, 1, -1, 2 ** (bits - 1) - 1, -(2 ** (bits - 1)),
                       rng.randint(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)])


CLASSES = kafka_python_classes()


def case(cls):
    reason = KAFKA_PYTHON_ERRATA.get((cls.__name__, cls.API_VERSION))
    marks = [pytest.mark.xfail(reason=f"kafka-python: {reason}", raises=AssertionError,
                               strict=True)] if reason else []
    return pytest.param(cls, marks=marks, id=f"{cls.__name__}_v{cls.API_VERSION}")


@pytest.mark.parametrize("cls", [case(c) for c in CLASSES])
def test_codec_agrees_with_kafka_python(codec, cls):
    names = api_names()
    assert cls.API_KEY in names, f"no definition for api key {cls.API_KEY}"
    kind = "request" if issubclass(cls, Request) else "response"
    name = f"{names[cls.API_KEY]}_{kind}"
    lo, hi = codec.messages()[name]
    if not lo <= cls.API_VERSION <= hi:
        pytest.skip(f"{name} v{cls.API_VERSION} is outside our definitions ({lo}-{hi})")
    rng = random.Random(f"{cls.__name__}-{cls.API_VERSION}")
    for _ in range(SAMPLES_PER_CLASS):
        values = [random_value(f, rng) for f in cls.SCHEMA.fields]
        data = cls.SCHEMA.encode(values)
        assert codec.recode(name, cls.API_VERSION, data) == data


def test_kafka_python_covers_many_apis():
    """Guards the oracle itself: a kafka-python that loaded no classes would
    make every test above vanish."""
    assert len({c.API_KEY for c in CLASSES}) >= 20
    assert len(CLASSES) >= 100
