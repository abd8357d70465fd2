"""What the broker is expected to serve: the one place to extend as APIs are added."""

from kafka_wire import (ADD_OFFSETS_TO_TXN, ADD_PARTITIONS_TO_TXN, ALTER_CONFIGS, API_VERSIONS, CREATE_PARTITIONS, CREATE_TOPICS,
                        DELETE_GROUPS, DELETE_RECORDS, DELETE_TOPICS, DESCRIBE_CLUSTER,
                        DESCRIBE_CONFIGS, DESCRIBE_GROUPS, DESCRIBE_LOG_DIRS, DESCRIBE_PRODUCERS, DESCRIBE_TRANSACTIONS, END_TXN,
                        DESCRIBE_TOPIC_PARTITIONS, ELECT_LEADERS, FETCH, FIND_COORDINATOR,
                        HEARTBEAT, INCREMENTAL_ALTER_CONFIGS, INIT_PRODUCER_ID, JOIN_GROUP, LEAVE_GROUP,
                        LIST_GROUPS, LIST_OFFSETS, LIST_TRANSACTIONS, METADATA, OFFSET_COMMIT, OFFSET_DELETE,
                        OFFSET_FETCH, OFFSET_FOR_LEADER_EPOCH, PRODUCE, SYNC_GROUP,
                        TXN_OFFSET_COMMIT)

# api_key -> (min_version, max_version) that ApiVersions must advertise, exactly.
SUPPORTED_APIS: dict[int, tuple[int, int]] = {
    PRODUCE: (0, 12),  # v12: transaction version 2 (KIP-890)
    FETCH: (4, 17),
    LIST_OFFSETS: (0, 10),
    METADATA: (0, 12),
    API_VERSIONS: (0, 4),
    CREATE_TOPICS: (0, 7),
    DELETE_TOPICS: (0, 6),
    DESCRIBE_CONFIGS: (0, 4),
    CREATE_PARTITIONS: (0, 3),
    OFFSET_FOR_LEADER_EPOCH: (0, 4),
    DELETE_RECORDS: (0, 2),
    DESCRIBE_CLUSTER: (0, 1),
    ALTER_CONFIGS: (0, 2),
    INCREMENTAL_ALTER_CONFIGS: (0, 1),
    DESCRIBE_LOG_DIRS: (1, 4),  # v0 removed in Kafka 4.0 (KIP-896)
    ELECT_LEADERS: (0, 2),
    DESCRIBE_TOPIC_PARTITIONS: (0, 0),
    FIND_COORDINATOR: (0, 6),
    JOIN_GROUP: (0, 9),
    SYNC_GROUP: (0, 5),
    HEARTBEAT: (0, 4),
    LEAVE_GROUP: (0, 5),
    OFFSET_COMMIT: (0, 9),
    OFFSET_FETCH: (0, 9),
    DESCRIBE_GROUPS: (0, 6),  # v6: GROUP_ID_NOT_FOUND (KIP-1043)
    LIST_GROUPS: (0, 5),
    DELETE_GROUPS: (0, 2),
    OFFSET_DELETE: (0, 0),
    INIT_PRODUCER_ID: (0, 5),
    DESCRIBE_PRODUCERS: (0, 0),
    ADD_PARTITIONS_TO_TXN: (0, 5),
    ADD_OFFSETS_TO_TXN: (0, 4),
    END_TXN: (0, 5),
    TXN_OFFSET_COMMIT: (0, 5),
    DESCRIBE_TRANSACTIONS: (0, 0),
    LIST_TRANSACTIONS: (0, 1),
}


def versions_of(api_key: int) -> list[int]:
    lo, hi = SUPPORTED_APIS[api_key]
    return list(range(lo, hi + 1))


def first_unsupported_version(api_key: int) -> int:
    return SUPPORTED_APIS[api_key][1] + 1
