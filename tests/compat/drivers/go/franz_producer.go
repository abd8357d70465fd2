package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// baseTS is the first of the timestamps the producers set themselves.
const baseTS int64 = 1700000000000

func franzProducerScenarios() []scenario {
	out := []scenario{
		{"franz.producer.acks_none", func(s *S) (any, error) { return franzAcks(s, kgo.NoAck()) }},
		{"franz.producer.acks_leader", func(s *S) (any, error) { return franzAcks(s, kgo.LeaderAck()) }},
		{"franz.producer.acks_all", func(s *S) (any, error) { return franzAcks(s, kgo.AllISRAcks()) }},
	}
	for _, c := range []struct {
		name  string
		codec kgo.CompressionCodec
	}{
		{"none", kgo.NoCompression()},
		{"gzip", kgo.GzipCompression()},
		{"snappy", kgo.SnappyCompression()},
		{"lz4", kgo.Lz4Compression()},
		{"zstd", kgo.ZstdCompression()},
	} {
		codec := c.codec
		out = append(out, scenario{"franz.producer.codec_" + c.name, func(s *S) (any, error) { return franzCodec(s, codec) }})
	}
	out = append(out,
		scenario{"franz.producer.message_too_large", franzMessageTooLarge},
		scenario{"franz.producer.invalid_timestamp", franzInvalidTimestamp},
		scenario{"franz.producer.log_append_time", franzLogAppendTime},
		scenario{"franz.producer.unknown_partition", franzUnknownPartition},
		scenario{"franz.producer.auto_create_topic", franzAutoCreate},
		scenario{"franz.producer.default_config", franzDefaultConfig},
	)
	return out
}

// bytesObs shows short values as strings and long ones by length and hash.
func bytesObs(b []byte) any {
	if b == nil {
		return nil
	}
	if len(b) <= 64 {
		return string(b)
	}
	h := fnv.New64a()
	h.Write(b)
	return fmt.Sprintf("len=%d fnv64a=%016x", len(b), h.Sum64())
}

func headersObs(hs []kgo.RecordHeader) []any {
	out := []any{}
	for _, h := range hs {
		out = append(out, M{"key": h.Key, "value": str(h.Value)})
	}
	return out
}

// recordObs is what a consumer sees of a record.
func recordObs(r *kgo.Record) M {
	return M{
		"partition":      r.Partition,
		"offset":         r.Offset,
		"key":            bytesObs(r.Key),
		"value":          bytesObs(r.Value),
		"headers":        headersObs(r.Headers),
		"timestamp":      r.Timestamp.UnixMilli(),
		"timestamp_type": r.Attrs.TimestampType(),
		"compression":    codecName(r.Attrs.CompressionType()),
	}
}

// produceAll produces recs and waits for every promise (and the flush).
func produceAll(ctx context.Context, cl *kgo.Client, recs []*kgo.Record) []M {
	out := make([]M, len(recs))
	var wg sync.WaitGroup
	for i, r := range recs {
		wg.Add(1)
		i := i
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				out[i] = M{"error": errName(err)}
				return
			}
			out[i] = M{"error": nil, "partition": r.Partition, "offset": r.Offset}
		})
	}
	_ = cl.Flush(ctx)
	wg.Wait()
	return out
}

// readBack consumes partitions 0..n-1 of topic from the start with a direct
// (non-group) consumer until want records came, sorted by partition and offset.
func readBack(s *S, topic string, n int32, want int, opts ...kgo.Opt) ([]*kgo.Record, error) {
	ps := map[int32]kgo.Offset{}
	for p := int32(0); p < n; p++ {
		ps[p] = kgo.NewOffset().AtStart()
	}
	cl, err := newKgo(s, append([]kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: ps})}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer closeKgo(cl)
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return recs, fmt.Errorf("read %d of %d records", len(recs), want)
		}
		for _, fe := range fs.Errors() {
			logf("%s: fetch error on %s/%d: %v", s.Name, fe.Topic, fe.Partition, fe.Err)
		}
		recs = append(recs, fs.Records()...)
	}
	sortRecords(recs)
	return recs, nil
}

func sortRecords(recs []*kgo.Record) {
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
}

func recordsObs(recs []*kgo.Record) []any {
	out := []any{}
	for _, r := range recs {
		out = append(out, recordObs(r))
	}
	return out
}

// sampleRecords covers keys, nil keys, empty keys, nil and empty values,
// headers (repeated keys, empty and null values), explicit timestamps out of
// order and a large compressible value, over partitions 0 and 1.
func sampleRecords(topic string) []*kgo.Record {
	ts := func(d int64) time.Time { return time.UnixMilli(baseTS + d) }
	return []*kgo.Record{
		{Topic: topic, Partition: 0, Key: []byte("k0"), Value: []byte("v0"), Timestamp: ts(0),
			Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte("a")}, {Key: "h2", Value: []byte("b")}}},
		{Topic: topic, Partition: 0, Key: nil, Value: []byte("v1-nil-key"), Timestamp: ts(1)},
		{Topic: topic, Partition: 1, Key: []byte("k2"), Value: nil, Timestamp: ts(2)},
		{Topic: topic, Partition: 1, Key: []byte("k3"), Value: []byte{}, Timestamp: ts(3),
			Headers: []kgo.RecordHeader{{Key: "dup", Value: []byte("x")}, {Key: "dup", Value: []byte("y")},
				{Key: "empty", Value: []byte{}}, {Key: "null", Value: nil}}},
		{Topic: topic, Partition: 0, Key: []byte{}, Value: []byte(strings.Repeat("compressible-", 200)), Timestamp: ts(-1000)},
		{Topic: topic, Partition: 1, Key: []byte("k5"), Value: []byte("v5"), Timestamp: ts(5000)},
	}
}

// franzProduceAndRead produces the sample records with the given options
// and reads them back.
func franzProduceAndRead(s *S, opts ...kgo.Opt) (M, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 2, nil); err != nil {
		return nil, err
	}
	prod, err := newKgo(s, append([]kgo.Opt{kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RecordRetries(5)}, opts...)...)
	if err != nil {
		return nil, err
	}
	recs := sampleRecords(topic)
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	results := produceAll(ctx, prod, recs)
	back, err := readBack(s, topic, 2, len(recs))
	if err != nil {
		return nil, err
	}
	return M{
		"produced": results,
		"records":  recordsObs(back),
		"offsets":  partitionOffsets(s, adm, topic),
	}, nil
}

func franzAcks(s *S, acks kgo.Acks) (any, error) {
	return franzProduceAndRead(s, kgo.RequiredAcks(acks), kgo.DisableIdempotentWrite(),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
}

func franzCodec(s *S, codec kgo.CompressionCodec) (any, error) {
	// Manual flushing sends all buffered records at once: one batch a partition.
	return franzProduceAndRead(s, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DisableIdempotentWrite(),
		kgo.ProducerBatchCompression(codec), kgo.ManualFlushing())
}

// franzSingle produces one record at a time and reports each result.
func franzSingle(s *S, cl *kgo.Client, recs ...*kgo.Record) []M {
	out := []M{}
	for _, r := range recs {
		ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
		res := produceAll(ctx, cl, []*kgo.Record{r})
		cancel()
		out = append(out, res[0])
	}
	return out
}

func franzErrProducer(s *S, opts ...kgo.Opt) (*kgo.Client, error) {
	return newKgo(s, append([]kgo.Opt{
		kgo.DisableIdempotentWrite(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RecordRetries(3),
	}, opts...)...)
}

func franzMessageTooLarge(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, map[string]string{"max.message.bytes": "1024"}); err != nil {
		return nil, err
	}
	cl, err := franzErrProducer(s)
	if err != nil {
		return nil, err
	}
	ts := time.UnixMilli(baseTS)
	res := franzSingle(s, cl,
		&kgo.Record{Topic: topic, Value: []byte(strings.Repeat("x", 2048)), Timestamp: ts},
		&kgo.Record{Topic: topic, Value: []byte("small"), Timestamp: ts},
	)
	back, err := readBack(s, topic, 1, 1)
	if err != nil {
		return nil, err
	}
	return M{"too_large": res[0], "small": res[1], "records": recordsObs(back),
		"offsets": partitionOffsets(s, adm, topic)}, nil
}

func franzInvalidTimestamp(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, map[string]string{
		"message.timestamp.after.max.ms":  "3600000",
		"message.timestamp.before.max.ms": "3600000",
	}); err != nil {
		return nil, err
	}
	cl, err := franzErrProducer(s)
	if err != nil {
		return nil, err
	}
	res := franzSingle(s, cl,
		&kgo.Record{Topic: topic, Value: []byte("future"), Timestamp: time.UnixMilli(4102444800000)},
		&kgo.Record{Topic: topic, Value: []byte("past"), Timestamp: time.UnixMilli(1000000000000)},
		&kgo.Record{Topic: topic, Value: []byte("now"), Timestamp: time.Now()},
	)
	return M{"future": res[0], "past": res[1], "now": res[2], "offsets": partitionOffsets(s, adm, topic)}, nil
}

func franzLogAppendTime(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}); err != nil {
		return nil, err
	}
	cl, err := franzErrProducer(s)
	if err != nil {
		return nil, err
	}
	set := time.UnixMilli(baseTS)
	rec := &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v"), Timestamp: set}
	res := franzSingle(s, cl, rec)
	back, err := readBack(s, topic, 1, 1)
	if err != nil {
		return nil, err
	}
	r := back[0]
	return M{
		"produced":                     res[0],
		"offset":                       r.Offset,
		"timestamp_type":               r.Attrs.TimestampType(),
		"read_timestamp_is_client_set": r.Timestamp.UnixMilli() == baseTS,
		"result_timestamp_changed":     rec.Timestamp.UnixMilli() != baseTS,
	}, nil
}

func franzUnknownPartition(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	cl, err := franzErrProducer(s, kgo.RecordDeliveryTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 6*time.Second)
	defer cancel()
	r := &kgo.Record{Topic: topic, Partition: 3, Value: []byte("v")}
	var perr error
	done := make(chan struct{})
	cl.Produce(ctx, r, func(_ *kgo.Record, err error) { perr = err; close(done) })
	<-done
	name := errName(perr)
	if perr != nil && strings.Contains(perr.Error(), "invalid record partitioning choice") {
		name = "kgo: invalid record partitioning choice"
	}
	return M{"error": name, "offsets": partitionOffsets(s, adm, topic)}, nil
}

func franzAutoCreate(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	cl, err := franzErrProducer(s, kgo.AllowAutoTopicCreation())
	if err != nil {
		return nil, err
	}
	res := franzSingle(s, cl, &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")})
	ctx, cancel := withTimeout(s.Ctx, 5*time.Second)
	defer cancel()
	td, err := adm.ListTopics(ctx, topic)
	var parts any
	if err != nil {
		parts = M{"error": errName(err)}
	} else if d, ok := td[topic]; ok {
		parts = M{"error": errName(d.Err), "count": len(d.Partitions)}
	}
	return M{"produced": res[0], "partitions": parts, "offsets": partitionOffsets(s, adm, topic)}, nil
}

// franzDefaultConfig produces with kgo's defaults: idempotent, acks=all,
// snappy, sticky key partitioning.
func franzDefaultConfig(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Bootstrap))
	if err != nil {
		return nil, err
	}
	s.Defer(func() { closeKgo(cl) })
	var recs []*kgo.Record
	for i := 0; i < 3; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)),
			Value: []byte(fmt.Sprintf("v%d", i)), Timestamp: time.UnixMilli(baseTS + int64(i))})
	}
	ctx, cancel := withTimeout(s.Ctx, 12*time.Second)
	defer cancel()
	var results []M
	for _, r := range recs {
		results = append(results, produceAll(ctx, cl, []*kgo.Record{r})...)
	}
	obs := M{"produced": results, "offsets": partitionOffsets(s, adm, topic)}
	back, err := readBack(s, topic, 1, 3)
	if err != nil {
		obs["read_error"] = err.Error()
		return obs, nil
	}
	rs := []any{}
	for _, r := range back {
		o := recordObs(r)
		o["has_producer_id"] = r.ProducerID >= 0
		o["producer_epoch"] = r.ProducerEpoch
		rs = append(rs, o)
	}
	obs["records"] = rs
	return obs, nil
}
