// kafkajs 2.2.4 and @platformatic/kafka 1.x scenarios for the differential
// suite (contract: ../../README.md). The clients come from tests/node
// (package-lock.json there, installed by tools/install-deps.sh).
//
//   node driver.mjs --bootstrap HOST:PORT --prefix P [--list] [SCENARIO...]
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../../node/package.json"));
const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = require("kafkajs");
const platformatic = await import(require.resolve("@platformatic/kafka"));

const WAIT_MS = 30000;
// Timestamps the client sets, observed relative to this, so runs seconds
// apart compare equal.
const BASE_TS = (Math.floor(Date.now() / 3600000) - 1) * 3600000;
const TOPIC = ConfigResourceTypes.TOPIC;
const KEYS = ["cleanup.policy", "retention.ms", "segment.bytes", "max.message.bytes",
  "compression.type", "message.timestamp.type"];

const scenarios = new Map();
const scenario = (name, fn) => scenarios.set(name, fn);

class Ctx {
  constructor(bootstrap, prefix, name) {
    this.bootstrap = bootstrap;
    this.base = `${prefix}-${name.replaceAll(".", "-")}`;
    this.kafka = new Kafka({
      clientId: "atoll-compat", brokers: [bootstrap], logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
    this.closers = [];
  }

  topic(suffix = "") {
    return suffix ? `${this.base}-${suffix}` : this.base;
  }

  async admin() {
    if (!this._admin) {
      this._admin = this.kafka.admin();
      await this._admin.connect();
      this.closers.push(() => this._admin.disconnect());
    }
    return this._admin;
  }

  async create(topic, numPartitions = 1, configs = {}) {
    const admin = await this.admin();
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }],
      waitForLeaders: true,
    });
  }

  async close() {
    for (const c of this.closers.reverse()) {
      await c().catch(() => {});
    }
  }
}

// A call's result, or the Kafka error it ended with (its type, not its text).
async function outcome(call) {
  try {
    return (await call()) ?? null;
  } catch (e) {
    if (process.env.COMPAT_NODE_DEBUG) console.error(e); // the whole error, to stderr
    const inner = e.cause ?? e;
    return {
      error: e.type ?? e.name,
      errors: e.errors?.map((x) => x.type ?? x.name) ?? null,
      partitions: inner.partitions?.map((p) => [p.partition, p.error?.type ?? p.error?.name]) ?? null,
    };
  }
}

const text = (b) => (b === null || b === undefined ? null : b.toString("latin1"));

function sampleMessages(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({
      key: i % 5 === 4 ? null : Buffer.from(`k${i}`),
      value: i % 7 === 6 ? null : Buffer.concat([Buffer.from([0, 255, i]), Buffer.from("v".repeat(i))]),
      headers: i % 3 === 0 ? { h: [Buffer.from("1"), Buffer.from("2")], bin: Buffer.from([0, 1, 255]) } : {},
      timestamp: String(BASE_TS + i * 10),
    });
  }
  return out;
}

function headers(h) {
  return Object.entries(h ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => [k, [].concat(v).map(text)]);
}

// Reads `count` records of a topic through a group consumer, from the start.
async function consume(ctx, topic, group, count) {
  const consumer = ctx.kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  const got = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        got.push({
          partition, offset: Number(message.offset), key: text(message.key),
          value: text(message.value), headers: headers(message.headers),
          timestamp: Number(message.timestamp) - BASE_TS,
        });
        if (got.length >= count) done();
      },
    });
    const timer = new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    await Promise.race([finished, timer]);
    const next = new Map();
    for (const r of got) next.set(r.partition, Math.max(next.get(r.partition) ?? 0, r.offset + 1));
    await consumer.commitOffsets([...next].map(([partition, offset]) =>
      ({ topic, partition, offset: String(offset) })));
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

for (const codec of ["none", "gzip"]) {
  scenario(`kafkajs.producer.${codec}`, async (ctx) => {
    const topic = ctx.topic();
    await ctx.create(topic, 2);
    const producer = ctx.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    ctx.closers.push(() => producer.disconnect());
    const messages = sampleMessages(12).map((m, i) => ({ ...m, partition: i % 2 }));
    const sent = await outcome(() => producer.send({
      topic, messages, acks: -1,
      compression: codec === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None,
    }));
    return {
      sent: Array.isArray(sent)
        ? sent.map((r) => [r.partition, Number(r.baseOffset), r.errorCode]).sort()
        : sent,
      read: await consume(ctx, topic, `${ctx.base}-g`, 12),
    };
  });
}

scenario("kafkajs.admin.topics", async (ctx) => {
  const admin = await ctx.admin();
  const t = (s) => ctx.topic(s);
  const create = (topic, numPartitions, replicationFactor = 1, configEntries = [], validateOnly = false) =>
    outcome(() => admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor, configEntries }],
      waitForLeaders: !validateOnly, validateOnly,
    }));
  const seen = {
    create: await create(t("a"), 3, 1, [{ name: "cleanup.policy", value: "compact" }]),
    again: await create(t("a"), 3),
    zero: await create(t("zero"), 0),
    rf3: await create(t("rf3"), 1, 3),
    bad_config: await create(t("bad"), 1, 1, [{ name: "cleanup.policy", value: "sometimes" }]),
    validate_only: await create(t("v"), 2, 1, [], true),
  };
  seen.grow = await outcome(() => admin.createPartitions({ topicPartitions: [{ topic: t("a"), count: 5 }] }));
  seen.shrink = await outcome(() => admin.createPartitions({ topicPartitions: [{ topic: t("a"), count: 2 }] }));
  seen.listed = (await admin.listTopics()).filter((n) => n.startsWith(ctx.base)).sort();
  const md = await outcome(() => admin.fetchTopicMetadata({ topics: [t("a")] }));
  seen.metadata = md.topics
    ? md.topics.map((x) => ({
      name: x.name,
      partitions: x.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr, p.partitionErrorCode])
        .sort((a, b) => a[0] - b[0]),
    }))
    : md;
  seen.delete = await outcome(() => admin.deleteTopics({ topics: [t("a")] }));
  seen.delete_unknown = await outcome(() => admin.deleteTopics({ topics: [t("nope")], timeout: 5000 }));
  return seen;
});

scenario("kafkajs.admin.offsets_and_configs", async (ctx) => {
  const admin = await ctx.admin();
  const topic = ctx.topic();
  await ctx.create(topic, 1, { "retention.ms": "3600000" });
  const producer = ctx.kafka.producer();
  await producer.connect();
  ctx.closers.push(() => producer.disconnect());
  await producer.send({ topic, messages: sampleMessages(10).map((m) => ({ ...m, partition: 0 })), acks: -1 });
  const offsets = async () => (await admin.fetchTopicOffsets(topic))
    .map((p) => [p.partition, Number(p.low), Number(p.high)]);
  const describe = async (name) => {
    const r = await outcome(() => admin.describeConfigs({
      resources: [{ type: TOPIC, name, configNames: KEYS }], includeSynonyms: false,
    }));
    if (!r.resources) return r;
    return r.resources.map((x) => ({
      error: x.errorCode,
      configs: Object.fromEntries(x.configEntries.map((c) =>
        [c.configName, [c.configValue, c.configSource, c.isDefault, c.readOnly, c.isSensitive]])),
    }));
  };
  const seen = { offsets: await offsets() };
  seen.at_35 = (await admin.fetchTopicOffsetsByTimestamp(topic, BASE_TS + 35)).map((p) => [p.partition, Number(p.offset)]);
  seen.past_end = (await admin.fetchTopicOffsetsByTimestamp(topic, BASE_TS + 100000)).map((p) => [p.partition, Number(p.offset)]);
  seen.configs = await describe(topic);
  seen.configs_unknown = await describe(ctx.topic("nope"));
  seen.alter = await outcome(() => admin.alterConfigs({
    resources: [{ type: TOPIC, name: topic, configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
  }).then((r) => r.resources.map((x) => x.errorCode)));
  seen.alter_bad = await outcome(() => admin.alterConfigs({
    resources: [{ type: TOPIC, name: topic, configEntries: [{ name: "retention.ms", value: "soon" }] }],
  }).then((r) => r.resources.map((x) => x.errorCode)));
  // Kafka applies config changes asynchronously: wait until it shows.
  for (let i = 0; i < 50; i++) {
    const c = await describe(topic);
    if (c[0]?.configs?.["cleanup.policy"]?.[0] === "compact") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  seen.configs_after = await describe(topic);
  seen.delete_records = await outcome(() => admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "4" }] }));
  seen.offsets_after = await offsets();
  const cluster = await admin.describeCluster();
  seen.cluster = { brokers: cluster.brokers.map((b) => b.nodeId).sort(), controller: cluster.controller };
  return seen;
});

scenario("kafkajs.admin.groups", async (ctx) => {
  const admin = await ctx.admin();
  const topic = ctx.topic();
  const group = `${ctx.base}-g`;
  await ctx.create(topic, 2);
  const producer = ctx.kafka.producer();
  await producer.connect();
  ctx.closers.push(() => producer.disconnect());
  await producer.send({ topic, messages: sampleMessages(8).map((m, i) => ({ ...m, partition: i % 2 })), acks: -1 });
  const seen = { consumed: (await consume(ctx, topic, group, 8)).length };
  const fetchOffsets = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))
    .flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)])).sort();
  seen.listed = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(ctx.base))
    .map((g) => [g.groupId.slice(ctx.base.length), g.protocolType]);
  const described = await admin.describeGroups([group, `${ctx.base}-nope`]);
  seen.described = described.groups.map((g) => [g.groupId.slice(ctx.base.length), g.state, g.protocolType,
    g.protocol, g.members.length, g.errorCode]).sort();
  seen.offsets = await fetchOffsets();
  seen.reset = await outcome(() => admin.resetOffsets({ groupId: group, topic, earliest: true }));
  seen.offsets_reset = await fetchOffsets();
  seen.set = await outcome(() => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 1, offset: "3" }] }));
  seen.offsets_set = await fetchOffsets();
  seen.delete = await outcome(() => admin.deleteGroups([group]).then((r) => r.map((g) => g.errorCode)));
  seen.delete_unknown = await outcome(() => admin.deleteGroups([`${ctx.base}-nope`]).then((r) => r.map((g) => g.errorCode)));
  return seen;
});

scenario("platformatic.admin.topics_and_configs", async (ctx) => {
  const options = { clientId: "atoll-compat", bootstrapBrokers: [ctx.bootstrap], retries: 2, retryDelay: 200 };
  const admin = new platformatic.Admin(options);
  ctx.closers.push(() => admin.close());
  const t = (s) => ctx.topic(s);
  const result = async (call) => {
    try {
      return (await call()) ?? null;
    } catch (e) {
      const codes = (x) => [...(x.apiId !== undefined ? [x.apiId] : []), ...(x.errors ?? []).flatMap(codes)];
      return { error: codes(e).sort() };
    }
  };
  const seen = {};
  seen.create = await result(async () => (await admin.createTopics({ topics: [t("a")], partitions: 2, replicas: 1 }))
    .map((x) => [x.name, x.partitions, x.replicas]));
  seen.again = await result(() => admin.createTopics({ topics: [t("a")], partitions: 2, replicas: 1 }).then(() => "ok"));
  seen.listed = await result(async () => (await admin.listTopics()).filter((n) => n.startsWith(ctx.base)).sort());
  seen.grow = await result(() => admin.createPartitions({ topics: [{ name: t("a"), count: 4 }] }).then(() => "ok"));
  seen.shrink = await result(() => admin.createPartitions({ topics: [{ name: t("a"), count: 1 }] }).then(() => "ok"));
  seen.metadata = await result(async () => {
    const md = await admin.metadata({ topics: [t("a")] });
    const topic = md.topics.get(t("a"));
    return { partitions: topic.partitionsCount };
  });
  seen.delete = await result(() => admin.deleteTopics({ topics: [t("a")] }).then(() => "ok"));
  seen.delete_unknown = await result(() => admin.deleteTopics({ topics: [t("nope")] }).then(() => "ok"));
  return seen;
});

async function run(name, bootstrap, prefix) {
  const ctx = new Ctx(bootstrap, prefix, name);
  try {
    return { scenario: name, observations: await scenarios.get(name)(ctx) };
  } catch (e) {
    console.error(e);
    return { scenario: name, failed: `${e.name}: ${e.message}` };
  } finally {
    await ctx.close();
  }
}

// JSON with sorted keys, as the other drivers print it.
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  }
  return v;
}

async function main() {
  const args = process.argv.slice(2);
  let bootstrap = null;
  let prefix = "node";
  const names = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--list") {
      console.log([...scenarios.keys()].join("\n"));
      return;
    } else if (args[i] === "--bootstrap") {
      bootstrap = args[++i];
    } else if (args[i] === "--prefix") {
      prefix = args[++i];
    } else if (scenarios.has(args[i])) {
      names.push(args[i]);
    } else {
      throw new Error(`unknown argument or scenario ${args[i]}`);
    }
  }
  if (!bootstrap) throw new Error("--bootstrap is required");
  for (const name of names.length ? names : [...scenarios.keys()]) {
    console.log(JSON.stringify(sorted(await run(name, bootstrap, prefix))));
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(2);
});
