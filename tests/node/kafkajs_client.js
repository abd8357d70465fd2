// kafkajs 2.2.4 against a broker, driven by a spec: node kafkajs_client.js SPEC.json
//
// The spec (written by the Python tests) holds the records to produce, each
// [partition, key, value, [[header name, value]...], timestamp] with key, value
// and header values in base64 (null stays null), so the test knows what each
// offset must hold. The script produces them, asks for the topic's offsets,
// and, when the spec has `admin`, runs the admin calls kafkajs offers on the
// topics it names. It prints one JSON object: every call's outcome, success or
// failure, so that one broken call fails its own test and not all of them. With
// `strict`, for callers that look only at the exit status, a failed call also
// makes the exit status 1.
const fs = require("fs");
const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = require("kafkajs");

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const kafka = new Kafka({
  clientId: "atoll-test",
  brokers: [spec.bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
});
const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };

const bytes = (b64) => (b64 === null ? null : Buffer.from(b64, "base64"));

// kafkajs takes headers as an object; a repeated name is one key with an
// array of values, so the test sends repeated names next to each other.
function toMessage([partition, key, value, headers, timestamp]) {
  const h = Object.create(null);
  for (const [name, v] of headers) {
    h[name] = name in h ? [].concat(h[name], bytes(v)) : bytes(v);
  }
  return { partition, key: bytes(key), value: bytes(value), headers: h, timestamp };
}

let failures = 0;

async function outcome(call) {
  try {
    return { ok: (await call()) ?? null };
  } catch (e) {
    failures++;
    return {
      error: e.type ?? e.name,
      message: e.message,
      errors: e.errors?.map((x) => x.type ?? x.name),
      partitions: e.partitions?.map((p) => [p.partition, p.error.type ?? p.error.name]),
    };
  }
}

// One send per `batch` records: each is one Produce request, with one record
// batch per partition, so a partition gets several batches per codec.
async function produce(producer, topic, codec, records) {
  const acks = [];
  for (let i = 0; i < records.length; i += spec.batch) {
    const messages = records.slice(i, i + spec.batch).map(toMessage);
    acks.push(await producer.send({ topic, messages, compression: CODECS[codec], acks: -1 }));
  }
  return acks;
}

const byPartition = (rows) => [...rows].sort((a, b) => a.partition - b.partition);

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  const out = {};
  const a = spec.admin;
  if (a) {
    out.created = await outcome(() => admin.createTopics({ topics: a.create }));
    out.createdAgain = await outcome(() => admin.createTopics({ topics: a.create.slice(0, 1) }));
  }

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  out.produced = {};
  for (const [codec, records] of spec.produce) {
    out.produced[codec] = await outcome(() => produce(producer, spec.topic, codec, records));
  }
  out.offsets = await outcome(async () => byPartition(await admin.fetchTopicOffsets(spec.topic)));
  out.byTimestamp = [];
  for (const ts of spec.timestamps) {
    out.byTimestamp.push(await outcome(async () =>
      byPartition(await admin.fetchTopicOffsetsByTimestamp(spec.topic, ts))));
  }

  if (a) {
    out.grown = await outcome(() =>
      admin.createPartitions({ topicPartitions: [{ topic: a.grow, count: a.growTo }] }));
    out.shrunk = await outcome(() =>
      admin.createPartitions({ topicPartitions: [{ topic: a.grow, count: a.shrinkTo }] }));
    out.topics = await outcome(() => admin.listTopics());
    out.metadata = await outcome(() => admin.fetchTopicMetadata({ topics: [spec.topic, a.grow] }));
    out.cluster = await outcome(() => admin.describeCluster());

    const describe = (name) => admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: a.describe }],
      includeSynonyms: false,
    });
    out.configs = await outcome(() => describe(spec.topic));
    out.brokerConfigs = await outcome(() => admin.describeConfigs({
      resources: [
        { type: ConfigResourceTypes.BROKER, name: a.brokerId, configNames: a.describeBroker },
      ],
      includeSynonyms: false,
    }));
    out.altered = await outcome(() => admin.alterConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: a.alter, configEntries: a.alterTo }],
    }));
    out.alteredConfigs = await outcome(() => describe(a.alter));
    out.alterRefused = await outcome(() => admin.alterConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: a.alter, configEntries: a.alterBad }],
    }));
    out.alterRefusedConfigs = await outcome(() => describe(a.alter));

    out.trimProduced = await outcome(() => produce(producer, a.trim, "none", a.trimRecords));
    // deleteTopicRecords finds the leader in the metadata the admin already
    // holds, and fetchTopicOffsets is what loads the topic's.
    out.trimOffsetsBefore = await outcome(() => admin.fetchTopicOffsets(a.trim));
    out.trimmed = await outcome(() => admin.deleteTopicRecords({
      topic: a.trim, partitions: [{ partition: 0, offset: String(a.trimBefore) }],
    }));
    out.trimOffsets = await outcome(() => admin.fetchTopicOffsets(a.trim));

    out.deleted = await outcome(() => admin.deleteTopics({ topics: [a.grow] }));
    out.topicsAfter = await outcome(() => admin.listTopics());
  }
  await producer.disconnect();
  await admin.disconnect();
  console.log(JSON.stringify(out));
  if (spec.strict && failures > 0) {
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
