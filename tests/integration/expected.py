"""What the broker is expected to serve: the one place to extend as APIs are added."""

from kafka_wire import API_VERSIONS, METADATA

# api_key -> (min_version, max_version) that ApiVersions must advertise, exactly.
SUPPORTED_APIS: dict[int, tuple[int, int]] = {
    API_VERSIONS: (0, 4),
    METADATA: (0, 12),
}


def versions_of(api_key: int) -> list[int]:
    lo, hi = SUPPORTED_APIS[api_key]
    return list(range(lo, hi + 1))


def first_unsupported_version(api_key: int) -> int:
    return SUPPORTED_APIS[api_key][1] + 1
