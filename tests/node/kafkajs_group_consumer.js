// kafkajs 2.2.4 consumers in one consumer group, driven by a spec:
// node kafkajs_group_consumer.js SPEC.json
//
// The spec (written by tests/integration/test_consumer_groups.py) names the
// bootstrap server, the topic, the group, the members to run in this process
// and their timeouts. Each member subscribes from the beginning, logs every
// record it gets, and commits the batch's next offset before taking the next
// batch (autoCommit off), so the test knows exactly what was committed when.
//
// Everything a member sees goes to the events file, one JSON object a line,
// with `t` in microseconds of CLOCK_MONOTONIC (process.hrtime, libuv), the
// same clock as Python's time.monotonic_ns(), so that events of different
// processes can be ordered:
//   {"ev":"join"}                  a JoinGroup is about to be sent: an eager
//                                  member owns nothing from here on
//   {"ev":"assign","parts":[...]}  SyncGroup gave these partitions
//   {"ev":"rec","p":..,"o":..,"v":".."}
//   {"ev":"commit","offsets":[[p, next offset]]}   after the broker took it
//   {"ev":"commit_failed","error":".."}
//   {"ev":"error","error":".."}    a crash of the consumer
//   {"ev":"closing"}               it stops consuming, then leaves the group
//   {"ev":"closed"}                after leaving the group
// Every event also has `m`, the member's name.
//
// With `expect`, the process stops by itself once each of its members has had
// partitions and together they have consumed and committed that many distinct
// records, and prints a summary as JSON;
// otherwise it runs until SIGTERM.
//
// `protocol`, when given, is the protocol name of kafkajs's round-robin
// assigner: kafkajs calls it "RoundRobinAssigner", librdkafka and the Java and
// Python clients "roundrobin", so a mixed group needs the rename to agree on it.
const fs = require("fs");
const { Kafka, logLevel, PartitionAssigners } = require("kafkajs");

const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const events = fs.openSync(spec.events, "a");
const now = () => Number(process.hrtime.bigint() / 1000n);

function emit(m, ev, fields = {}) {
  fs.writeSync(events, JSON.stringify({ ev, m, t: now(), ...fields }) + "\n");
}

// kafkajs's round-robin assigner, renamed. kafkajs calls protocol() as it
// builds each JoinGroup request, which is the moment an eager member stops
// owning its partitions: it has stopped fetching and processing by then.
function roundRobinNamed(name, member) {
  return (config) => {
    const assigner = PartitionAssigners.roundRobin(config);
    const protocol = assigner.protocol;
    return Object.assign(assigner, {
      name: name ?? assigner.name,
      protocol(args) {
        emit(member, "join");
        return protocol.call(this, args);
      },
    });
  };
}

const kafka = new Kafka({
  clientId: spec.clientId ?? "atoll-kafkajs",
  brokers: [spec.bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
});

const consumed = new Set(); // "p:o" over all members of this process
const committed = new Map(); // partition -> next offset, as last committed
const lastSeen = new Map(); // partition -> next offset after the last record seen
let finishing = false;
let finished;
const done = new Promise((resolve) => (finished = resolve));

const assigned = new Set(); // members that have had partitions

function maybeDone() {
  if (spec.expect == null || consumed.size < spec.expect) return;
  if (assigned.size < spec.members.length) return;
  for (const [p, next] of lastSeen) {
    if (committed.get(p) !== next) return;
  }
  finished();
}

async function startMember(name) {
  const consumer = kafka.consumer({
    groupId: spec.groupId,
    sessionTimeout: spec.sessionTimeout,
    rebalanceTimeout: spec.rebalanceTimeout,
    heartbeatInterval: spec.heartbeatInterval,
    maxWaitTimeInMs: 200,
    partitionAssigners: [roundRobinNamed(spec.protocol, name)],
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const parts = payload.memberAssignment[spec.topic] ?? [];
    emit(name, "assign", {
      parts,
      member: payload.memberId,
      protocol: payload.groupProtocol,
      leader: payload.isLeader,
    });
    if (parts.length > 0) assigned.add(name);
    maybeDone();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const { error } = payload;
    emit(name, "error", { error: `${error.type ?? error.name}: ${error.message}` });
  });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return;
      const p = batch.partition;
      for (const m of batch.messages) {
        emit(name, "rec", { p, o: Number(m.offset), v: m.value.toString() });
        consumed.add(`${p}:${m.offset}`);
      }
      const next = Number(batch.messages[batch.messages.length - 1].offset) + 1;
      lastSeen.set(p, Math.max(lastSeen.get(p) ?? 0, next));
      try {
        await consumer.commitOffsets([{ topic: spec.topic, partition: p, offset: String(next) }]);
      } catch (e) {
        emit(name, "commit_failed", { error: e.type ?? e.name, parts: [p] });
        throw e; // kafkajs rejoins on a rebalance error
      }
      emit(name, "commit", { offsets: [[p, next]] });
      committed.set(p, Math.max(committed.get(p) ?? 0, next));
      maybeDone();
    },
  });
  return consumer;
}

async function stop(consumers) {
  if (finishing) return;
  finishing = true;
  for (const [name, consumer] of consumers) {
    emit(name, "closing");
    await consumer.disconnect();
    emit(name, "closed");
  }
}

async function main() {
  const consumers = [];
  process.on("SIGTERM", () => finished());
  for (const name of spec.members) {
    consumers.push([name, await startMember(name)]);
  }
  await done;
  await stop(consumers);
  console.log(JSON.stringify({
    consumed: consumed.size,
    committed: Object.fromEntries(committed),
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
