"""librdkafka (Debian's 2.0.2) turns each protocol feature on only when the
broker's advertised ranges overlap exact versions it depends on. A client
run with debug=feature against atolld must enable exactly the features whose
APIs atolld advertises: every one it could, and none it cannot serve."""

import re
import subprocess

from expected import SUPPORTED_APIS

# librdkafka 2.0.2's feature map: feature -> [(api key, min, max)], each of
# which must overlap the broker's range for that API.
PRODUCE, FETCH, LIST_OFFSETS = 0, 1, 2
OFFSET_COMMIT, OFFSET_FETCH, FIND_COORDINATOR = 8, 9, 10
JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP = 11, 12, 13, 14
SASL_HANDSHAKE, API_VERSIONS, INIT_PRODUCER_ID, SASL_AUTHENTICATE = 17, 18, 22, 36

LIBRDKAFKA_FEATURES = {
    "MsgVer1": [(PRODUCE, 2, 2), (FETCH, 2, 2)],
    "MsgVer2": [(PRODUCE, 3, 3), (FETCH, 4, 4)],
    "ApiVersion": [(API_VERSIONS, 0, 0)],
    "BrokerGroupCoordinator": [(FIND_COORDINATOR, 0, 0)],
    "BrokerBalancedConsumer": [(FIND_COORDINATOR, 0, 0), (OFFSET_COMMIT, 1, 2),
                               (OFFSET_FETCH, 1, 1), (JOIN_GROUP, 0, 0),
                               (SYNC_GROUP, 0, 0), (HEARTBEAT, 0, 0),
                               (LEAVE_GROUP, 0, 0)],
    "ThrottleTime": [(PRODUCE, 1, 2), (FETCH, 1, 2)],
    "Sasl": [(JOIN_GROUP, 0, 0)],
    "SaslHandshake": [(SASL_HANDSHAKE, 0, 0)],
    "LZ4": [(FIND_COORDINATOR, 0, 0)],
    "OffsetTime": [(LIST_OFFSETS, 1, 1)],
    "IdempotentProducer": [(INIT_PRODUCER_ID, 0, 0)],
    "ZSTD": [(PRODUCE, 7, 7), (FETCH, 10, 10)],
    "SaslAuthReq": [(SASL_HANDSHAKE, 1, 1), (SASL_AUTHENTICATE, 0, 1)],
}


def features_allowed_by(advertised):
    def overlaps(key, lo, hi):
        return key in advertised and lo <= advertised[key][1] and advertised[key][0] <= hi
    return {name for name, deps in LIBRDKAFKA_FEATURES.items()
            if all(overlaps(*d) for d in deps)}


def test_librdkafka_enables_every_feature_the_advertised_apis_allow(broker):
    with broker.connect() as conn:
        advertised = conn.api_versions(3).api_keys
    assert advertised == SUPPORTED_APIS
    expected = features_allowed_by(advertised)

    done = subprocess.run(["kcat", "-L", "-b", broker.bootstrap, "-m", "5",
                           "-X", "debug=feature"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    enabled = set(re.findall(r"Enabling feature (\w+)", done.stderr))
    disabled = set(re.findall(r"Disabling feature (\w+)", done.stderr))
    assert enabled | disabled, f"no feature lines in kcat's debug output:\n{done.stderr}"
    # kcat reports the map we transcribed: a feature it knows and we do not
    # (or the reverse) means the table above is stale.
    assert enabled | disabled == set(LIBRDKAFKA_FEATURES), sorted(enabled | disabled)
    assert enabled == expected, (
        f"enabled {sorted(enabled)}, expected {sorted(expected)}")
