// Produces a few records with kafkajs and reads the topic's offsets back:
// node produce.js HOST:PORT TOPIC COUNT
const { Kafka, logLevel, CompressionTypes } = require("kafkajs");

const [broker, topic, countText] = process.argv.slice(2);
const count = Number(countText);
const kafka = new Kafka({
  clientId: "atoll-test",
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 3 },
});

(async () => {
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) {
    messages.push({ key: `k${i}`, value: `kafkajs-${i}`, headers: { h: "v" } });
  }
  await producer.send({ topic, messages });
  await producer.send({ topic, messages, compression: CompressionTypes.GZIP });
  await producer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  console.log(JSON.stringify(offsets));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
