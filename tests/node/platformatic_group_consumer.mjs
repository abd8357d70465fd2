// @platformatic/kafka 1.x consumers in one consumer group, driven by a spec:
// node platformatic_group_consumer.mjs SPEC.json
//
// The same spec and events file as kafkajs_group_consumer.js: the members
// named in the spec join the group (protocol "roundrobin", the client's
// default), start from the committed offsets or else the earliest, log every
// record and commit each one (message.commit(), offset + 1) before taking the
// next. Events, one JSON object a line, `t` in microseconds of CLOCK_MONOTONIC:
//   {"ev":"assign","parts":[...],"gen":..}   after each JoinGroup/SyncGroup
//   {"ev":"rec","p":..,"o":..,"v":".."}
//   {"ev":"commit","offsets":[[p, next offset]]}   after the broker took it
//   {"ev":"commit_failed","error":".."}
//   {"ev":"closing"}                         it stops consuming, then leaves
//   {"ev":"closed"}                          after leaving the group
// With `expect`, the process stops by itself once each of its members has had
// partitions and together they have consumed and committed that many distinct
// records, printing a summary as JSON;
// otherwise it runs until SIGTERM.
import { openSync, readFileSync, writeSync } from "node:fs";
import { Consumer, MessagesStreamModes, MessagesStreamFallbackModes } from "@platformatic/kafka";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const events = openSync(spec.events, "a");
const now = () => Number(process.hrtime.bigint() / 1000n);

function emit(m, ev, fields = {}) {
  writeSync(events, JSON.stringify({ ev, m, t: now(), ...fields }) + "\n");
}

const consumed = new Set();
const committed = new Map();
const lastSeen = new Map();
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
  const consumer = new Consumer({
    clientId: spec.clientId ?? "atoll-platformatic",
    bootstrapBrokers: [spec.bootstrap],
    groupId: spec.groupId,
    sessionTimeout: spec.sessionTimeout,
    rebalanceTimeout: spec.rebalanceTimeout,
    heartbeatInterval: spec.heartbeatInterval,
    maxWaitTime: 200,
    retries: 10,
    retryDelay: 100,
  });
  consumer.on("consumer:group:join", (payload) => {
    const mine = (payload.assignments ?? []).find((a) => a.topic === spec.topic);
    const parts = mine ? [...mine.partitions].sort((a, b) => a - b) : [];
    emit(name, "assign", { parts, gen: payload.generationId, member: payload.memberId });
    if (parts.length > 0) assigned.add(name);
    maybeDone();
  });
  const stream = await consumer.consume({
    topics: [spec.topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
  });
  const loop = (async () => {
    for await (const message of stream) {
      const p = message.partition;
      const o = Number(message.offset);
      emit(name, "rec", { p, o, v: message.value.toString() });
      consumed.add(`${p}:${o}`);
      lastSeen.set(p, Math.max(lastSeen.get(p) ?? 0, o + 1));
      try {
        await message.commit();
      } catch (e) {
        emit(name, "commit_failed", { error: e.code ?? e.name, message: e.message, parts: [p] });
        continue;
      }
      emit(name, "commit", { offsets: [[p, o + 1]] });
      committed.set(p, Math.max(committed.get(p) ?? 0, o + 1));
      maybeDone();
    }
  })();
  return { consumer, stream, loop };
}

async function main() {
  process.on("SIGTERM", () => finished());
  const members = [];
  for (const name of spec.members) {
    members.push([name, await startMember(name)]);
  }
  await done;
  for (const [name, { consumer, stream }] of members) {
    emit(name, "closing");
    await stream.close();
    await consumer.close();
    emit(name, "closed");
  }
  console.log(JSON.stringify({
    consumed: consumed.size,
    committed: Object.fromEntries(committed),
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
