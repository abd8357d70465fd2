// @platformatic/kafka 1.x against a broker, driven by a spec:
// node platformatic_client.mjs SPEC.json
//
// The same spec as kafkajs_client.js (records as [partition, key, value,
// [[header name, value]...], timestamp], bytes in base64, null kept), but
// this client speaks the newest versions (Produce 11, Metadata 12,
// ListOffsets 9, CreateTopics 7, DescribeConfigs 4...), takes headers in
// order with repeated names and null values, and has different admin calls:
// ListOffsets with any timestamp per partition, IncrementalAlterConfigs,
// DeleteRecords. Prints one JSON object with every call's outcome, success or
// failure, so that one broken call fails its own test and not all of them.
import { readFileSync } from "node:fs";
import { Admin, Producer, ProduceAcks } from "@platformatic/kafka";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const a = spec.admin;
// Few, quick retries: a refused call is an answer to record, not to wait out.
const options = {
  clientId: "atoll-test", bootstrapBrokers: [spec.bootstrap], retries: 1, retryDelay: 100,
};
const admin = new Admin(options);
const producer = new Producer(options);
const TOPIC = 2; // config resource types
const BROKER = 4;
const EARLIEST = -2; // ListOffsets' timestamp for the log start

const bytes = (b64) => (b64 === null ? null : Buffer.from(b64, "base64"));

// A Map keyed by Buffers keeps header order and repeated names: each name is
// its own Buffer object, hence its own key.
function toMessage(topic, [partition, key, value, headers, timestamp]) {
  return {
    topic, partition, key: bytes(key), value: bytes(value),
    headers: new Map(headers.map(([name, v]) => [Buffer.from(name), bytes(v)])),
    timestamp: BigInt(timestamp),
  };
}

// The Kafka error codes (apiCode) inside a failure, however deeply nested.
function kafkaErrors(e) {
  const nested = (e.errors ?? []).flatMap(kafkaErrors);
  return e.apiCode === undefined ? nested : [[e.apiCode, e.apiId], ...nested];
}

async function outcome(call) {
  try {
    return { ok: (await call()) ?? null };
  } catch (e) {
    return { error: e.code ?? e.name, message: e.message, kafka: kafkaErrors(e) };
  }
}

// One send per `batch` records: each is one Produce request, with one record
// batch per partition, so a partition gets several batches per codec.
async function produce(topic, codec, records) {
  const acks = [];
  for (let i = 0; i < records.length; i += spec.batch) {
    const messages = records.slice(i, i + spec.batch).map((r) => toMessage(topic, r));
    acks.push(await producer.send({ messages, compression: codec, acks: ProduceAcks.ALL }));
  }
  return acks;
}

// The same timestamp for each of the topic's partitions.
async function listOffsets(topic, partitions, timestamp) {
  const indexes = [...Array(partitions).keys()];
  const [found] = await admin.listOffsets({
    topics: [{
      name: topic,
      partitions: indexes.map((p) => ({ partitionIndex: p, timestamp: BigInt(timestamp) })),
    }],
  });
  return found.partitions.sort((x, y) => x.partitionIndex - y.partitionIndex);
}

const describe = (resourceType, resourceName, configurationKeys) => admin.describeConfigs({
  resources: [{ resourceType, resourceName, configurationKeys }],
  includeSynonyms: false,
  includeDocumentation: true,
});

const out = {};
out.created = [];
for (const t of a.create) {
  out.created.push(await outcome(() => admin.createTopics({
    topics: [t.name], partitions: t.partitions, replicas: 1, configs: t.configs,
  })));
}
out.createdAgain = await outcome(() => admin.createTopics({
  topics: [a.create[0].name], partitions: a.create[0].partitions, replicas: 1,
}));

out.produced = {};
for (const [codec, records] of spec.produce) {
  out.produced[codec] = await outcome(() => produce(spec.topic, codec, records));
}
out.listOffsets = {};
for (const ts of spec.timestamps) {
  out.listOffsets[ts] = await outcome(() => listOffsets(spec.topic, a.partitions, ts));
}

const partitionsOfGrow = (count) => admin.createPartitions({ topics: [{ name: a.grow, count }] });
out.grown = await outcome(() => partitionsOfGrow(a.growTo));
out.shrunk = await outcome(() => partitionsOfGrow(a.shrinkTo));
out.topics = await outcome(() => admin.listTopics());
out.metadata = await outcome(() =>
  admin.metadata({ topics: [spec.topic, a.grow], forceUpdate: true }));

out.configs = await outcome(() => describe(TOPIC, spec.topic, a.describe));
out.allConfigs = await outcome(() => describe(TOPIC, spec.topic, null));
out.brokerConfigs = await outcome(() => describe(BROKER, a.brokerId, a.describeBroker));
out.altered = await outcome(() => admin.alterConfigs({
  resources: [{ resourceType: TOPIC, resourceName: a.alter, configs: a.alterTo }],
}));
out.alteredConfigs = await outcome(() => describe(TOPIC, a.alter, a.describe));
out.incremented = await outcome(() => admin.incrementalAlterConfigs({
  resources: [{ resourceType: TOPIC, resourceName: a.alter, configs: a.incrementTo }],
}));
out.incrementedConfigs = await outcome(() => describe(TOPIC, a.alter, a.describe));
out.incrementRefused = await outcome(() => admin.incrementalAlterConfigs({
  resources: [{ resourceType: TOPIC, resourceName: a.alter, configs: a.incrementBad }],
}));
out.incrementRefusedConfigs = await outcome(() => describe(TOPIC, a.alter, a.describe));

out.trimProduced = await outcome(() => produce(a.trim, "none", a.trimRecords));
out.trimmed = await outcome(() => admin.deleteRecords({
  topics: [{ name: a.trim, partitions: [{ partition: 0, offset: BigInt(a.trimBefore) }] }],
}));
out.trimEarliest = await outcome(() => listOffsets(a.trim, 1, EARLIEST));

out.deleted = await outcome(() => admin.deleteTopics({ topics: [a.grow] }));
out.topicsAfter = await outcome(() => admin.listTopics());
out.deletedMetadata = await outcome(() => admin.metadata({ topics: [a.grow], forceUpdate: true }));

await producer.close();
await admin.close();
// bigint offsets and timestamps as numbers (all well below 2^53), Maps as objects.
console.log(JSON.stringify(out, (_, v) =>
  typeof v === "bigint" ? Number(v) : v instanceof Map ? Object.fromEntries(v) : v));
