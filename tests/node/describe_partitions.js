// DescribeLogDirs through @platformatic/kafka's admin client, and one
// DescribeTopicPartitions page through its own v0 codec:
//   node describe_partitions.js HOST:PORT TOPIC PARTITIONS LIMIT
// Prints one JSON object (64-bit integers as strings).
(async () => {
  const { Admin, Connection, describeTopicPartitionsV0 } = await import("@platformatic/kafka");
  const [bootstrap, topic, count, limit] = process.argv.slice(2);
  const partitions = [...Array(Number(count)).keys()];

  const admin = new Admin({ clientId: "atoll-test", bootstrapBrokers: [bootstrap] });
  const logDirs = await admin.describeLogDirs({ topics: [{ name: topic, partitions }] });
  await admin.close();

  const [host, port] = bootstrap.split(":");
  const conn = new Connection("atoll-test");
  await conn.connect(host, Number(port));
  const page = await describeTopicPartitionsV0.api.async(conn, [{ name: topic }], Number(limit), null);
  await conn.close();

  const bigints = (_, v) => (typeof v === "bigint" ? v.toString() : v);
  console.log(JSON.stringify({ logDirs, page }, bigints));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
