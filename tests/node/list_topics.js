// Lists the cluster's topics with kafkajs: node list_topics.js HOST:PORT
const { Kafka, logLevel } = require("kafkajs");

const kafka = new Kafka({
  clientId: "atoll-test",
  brokers: [process.argv[2]],
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
});

(async () => {
  const admin = kafka.admin();
  await admin.connect();
  console.log(JSON.stringify(await admin.listTopics()));
  const metadata = await admin.fetchTopicMetadata({ topics: [] });
  console.log(JSON.stringify(metadata));
  await admin.disconnect();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
