package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// saramaConfig is the base configuration of every Sarama client here: a
// modern protocol version (headers, zstd), short bounded waits, manual
// partitioning, acks=all, no idempotence (Sarama's default).
func saramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V4_0_0_0
	c.ClientID = "compat-go-sarama"
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 15 * time.Second
	c.Net.WriteTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Retry.Max = 3
	c.Producer.Retry.Backoff = 200 * time.Millisecond
	c.Producer.Timeout = 10 * time.Second
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Consumer.Return.Errors = true
	c.Consumer.MaxWaitTime = 250 * time.Millisecond
	c.Consumer.Retry.Backoff = 200 * time.Millisecond
	c.Admin.Timeout = 10 * time.Second
	c.Admin.Retry.Max = 5
	c.Admin.Retry.Backoff = 200 * time.Millisecond
	return c
}

func saramaProducerScenarios() []scenario {
	var out []scenario
	for _, c := range []struct {
		name  string
		codec sarama.CompressionCodec
	}{
		{"none", sarama.CompressionNone},
		{"gzip", sarama.CompressionGZIP},
		{"snappy", sarama.CompressionSnappy},
		{"lz4", sarama.CompressionLZ4},
		{"zstd", sarama.CompressionZSTD},
	} {
		codec := c.codec
		out = append(out, scenario{"sarama.producer.sync_" + c.name, func(s *S) (any, error) { return saramaSync(s, codec) }})
	}
	out = append(out,
		scenario{"sarama.producer.sync_acks_leader", saramaSyncAcksLeader},
		scenario{"sarama.producer.async", saramaAsync},
		scenario{"sarama.producer.sync_errors", saramaSyncErrors},
	)
	return out
}

// warmClient is a Sarama client already connected to the leaders of the
// topic's partitions. Producing right after Sarama's own client start races
// with its reconnection to the registered broker ("broker not connected"),
// and the non-idempotent retry that follows can duplicate a record.
func warmClient(s *S, cfg *sarama.Config, topic string) (sarama.Client, error) {
	cl, err := sarama.NewClient([]string{s.Bootstrap}, cfg)
	if err != nil {
		return nil, err
	}
	s.Defer(func() { _ = cl.Close() })
	if err := cl.RefreshMetadata(topic); err != nil {
		return nil, err
	}
	ps, err := cl.Partitions(topic)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		b, err := cl.Leader(topic, p)
		if err != nil {
			return nil, err
		}
		_ = b.Open(cfg)
		if ok, err := b.Connected(); !ok || err != nil {
			return nil, fmt.Errorf("leader of partition %d not connected: %v", p, err)
		}
	}
	return cl, nil
}

func newSyncProducer(s *S, cfg *sarama.Config, topic string) (sarama.SyncProducer, error) {
	cl, err := warmClient(s, cfg, topic)
	if err != nil {
		return nil, err
	}
	p, err := sarama.NewSyncProducerFromClient(cl)
	if err != nil {
		return nil, err
	}
	s.Defer(func() { _ = p.Close() })
	return p, nil
}

func byteEnc(b []byte) sarama.Encoder {
	if b == nil {
		return nil
	}
	return sarama.ByteEncoder(b)
}

// saramaSamples mirror the franz-go sample records.
func saramaSamples(topic string) []*sarama.ProducerMessage {
	ts := func(d int64) time.Time { return time.UnixMilli(baseTS + d) }
	return []*sarama.ProducerMessage{
		{Topic: topic, Partition: 0, Key: byteEnc([]byte("k0")), Value: byteEnc([]byte("v0")), Timestamp: ts(0),
			Headers: []sarama.RecordHeader{{Key: []byte("h1"), Value: []byte("a")}, {Key: []byte("h2"), Value: []byte("b")}}},
		{Topic: topic, Partition: 0, Key: nil, Value: byteEnc([]byte("v1-nil-key")), Timestamp: ts(1)},
		{Topic: topic, Partition: 1, Key: byteEnc([]byte("k2")), Value: nil, Timestamp: ts(2)},
		{Topic: topic, Partition: 1, Key: byteEnc([]byte("k3")), Value: sarama.ByteEncoder([]byte{}), Timestamp: ts(3),
			Headers: []sarama.RecordHeader{{Key: []byte("dup"), Value: []byte("x")}, {Key: []byte("dup"), Value: []byte("y")},
				{Key: []byte("empty"), Value: []byte{}}, {Key: []byte("null"), Value: nil}}},
		{Topic: topic, Partition: 0, Key: sarama.ByteEncoder([]byte{}), Value: byteEnc([]byte(strings.Repeat("compressible-", 200))), Timestamp: ts(-1000)},
		{Topic: topic, Partition: 1, Key: byteEnc([]byte("k5")), Value: byteEnc([]byte("v5")), Timestamp: ts(5000)},
	}
}

func saramaMessageObs(m *sarama.ConsumerMessage) M {
	hs := []any{}
	for _, h := range m.Headers {
		hs = append(hs, M{"key": string(h.Key), "value": str(h.Value)})
	}
	return M{
		"partition": m.Partition,
		"offset":    m.Offset,
		"key":       bytesObs(m.Key),
		"value":     bytesObs(m.Value),
		"headers":   hs,
		"timestamp": m.Timestamp.UnixMilli(),
	}
}

// saramaReadBack reads want[p] messages of each partition p from the oldest
// offset with Sarama's partition consumer.
func saramaReadBack(s *S, topic string, want map[int32]int) ([]*sarama.ConsumerMessage, error) {
	cfg := saramaConfig()
	c, err := sarama.NewConsumer([]string{s.Bootstrap}, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []*sarama.ConsumerMessage
	deadline := time.After(15 * time.Second)
	var parts []int32
	for p := range want {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	for _, p := range parts {
		if want[p] == 0 {
			continue
		}
		pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		got := 0
		for got < want[p] {
			select {
			case m := <-pc.Messages():
				out = append(out, m)
				got++
			case e := <-pc.Errors():
				logf("%s: consumer error: %v", s.Name, e)
			case <-deadline:
				pc.AsyncClose()
				return out, fmt.Errorf("read %d of %d messages of partition %d", got, want[p], p)
			case <-s.Ctx.Done():
				pc.AsyncClose()
				return out, s.Ctx.Err()
			}
		}
		_ = pc.Close()
	}
	return out, nil
}

func saramaMessagesObs(ms []*sarama.ConsumerMessage) []any {
	out := []any{}
	for _, m := range ms {
		out = append(out, saramaMessageObs(m))
	}
	return out
}

// producerResults renders what SendMessages left in the messages.
func producerResults(msgs []*sarama.ProducerMessage, err error) []any {
	failed := map[*sarama.ProducerMessage]error{}
	var pes sarama.ProducerErrors
	if errors.As(err, &pes) {
		for _, pe := range pes {
			failed[pe.Msg] = pe.Err
		}
	}
	out := []any{}
	for _, m := range msgs {
		if e, ok := failed[m]; ok {
			out = append(out, M{"error": errName(e)})
			continue
		}
		if err != nil && len(pes) == 0 {
			out = append(out, M{"error": errName(err)})
			continue
		}
		out = append(out, M{"error": nil, "partition": m.Partition, "offset": m.Offset})
	}
	return out
}

func saramaProduceAndRead(s *S, cfg *sarama.Config) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 2, nil); err != nil {
		return nil, err
	}
	p, err := newSyncProducer(s, cfg, topic)
	if err != nil {
		return nil, err
	}
	msgs := saramaSamples(topic)
	err = p.SendMessages(msgs)
	results := producerResults(msgs, err)
	want := map[int32]int{}
	for _, m := range msgs {
		want[m.Partition]++
	}
	back, rerr := saramaReadBack(s, topic, want)
	obs := M{"produced": results, "records": saramaMessagesObs(back), "offsets": partitionOffsets(s, adm, topic)}
	if rerr != nil {
		obs["read_error"] = rerr.Error()
	}
	return obs, nil
}

func saramaSync(s *S, codec sarama.CompressionCodec) (any, error) {
	cfg := saramaConfig()
	cfg.Producer.Compression = codec
	return saramaProduceAndRead(s, cfg)
}

func saramaSyncAcksLeader(s *S) (any, error) {
	cfg := saramaConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForLocal
	return saramaProduceAndRead(s, cfg)
}

// saramaAsync sends small messages to partition 0 and one too large for
// the topic to partition 1, and reads the successes and errors channels.
func saramaAsync(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 2, map[string]string{"max.message.bytes": "1024"}); err != nil {
		return nil, err
	}
	cfg := saramaConfig()
	cl, err := warmClient(s, cfg, topic)
	if err != nil {
		return nil, err
	}
	p, err := sarama.NewAsyncProducerFromClient(cl)
	if err != nil {
		return nil, err
	}
	s.Defer(func() { _ = p.Close() })
	send := func(i int, part int32, v []byte) {
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: part, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)),
			Value: sarama.ByteEncoder(v), Timestamp: time.UnixMilli(baseTS + int64(i)), Metadata: i}
	}
	collect := func(n int) ([]any, []any) {
		succ, errs := []any{}, []any{}
		type res struct {
			i int
			m M
		}
		var ss, es []res
		timeout := time.After(15 * time.Second)
		for len(ss)+len(es) < n {
			select {
			case m := <-p.Successes():
				ss = append(ss, res{m.Metadata.(int), M{"index": m.Metadata, "partition": m.Partition, "offset": m.Offset}})
			case e := <-p.Errors():
				es = append(es, res{e.Msg.Metadata.(int), M{"index": e.Msg.Metadata, "partition": e.Msg.Partition, "error": errName(e.Err)}})
			case <-timeout:
				es = append(es, res{-1, M{"error": "timeout"}})
				n = 0
			}
		}
		sort.Slice(ss, func(a, b int) bool { return ss[a].i < ss[b].i })
		sort.Slice(es, func(a, b int) bool { return es[a].i < es[b].i })
		for _, r := range ss {
			succ = append(succ, r.m)
		}
		for _, r := range es {
			errs = append(errs, r.m)
		}
		return succ, errs
	}
	for i := 0; i < 3; i++ {
		send(i, 0, []byte(fmt.Sprintf("small-%d", i)))
	}
	send(3, 1, []byte(strings.Repeat("x", 2048)))
	succ, errs := collect(4)
	// The partition still takes a message that fits.
	send(4, 1, []byte("fits"))
	succ2, errs2 := collect(1)
	back, rerr := saramaReadBack(s, topic, map[int32]int{0: 3, 1: 1})
	obs := M{
		"successes":       succ,
		"errors":          errs,
		"after_successes": succ2,
		"after_errors":    errs2,
		"records":         saramaMessagesObs(back),
		"offsets":         partitionOffsets(s, adm, topic),
	}
	if rerr != nil {
		obs["read_error"] = rerr.Error()
	}
	return obs, nil
}

// saramaSyncErrors covers the SyncProducer's error paths: a message too
// large for the topic, a timestamp too far ahead, a partition that does not
// exist.
func saramaSyncErrors(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, map[string]string{
		"max.message.bytes":              "1024",
		"message.timestamp.after.max.ms": "3600000",
	}); err != nil {
		return nil, err
	}
	p, err := newSyncProducer(s, saramaConfig(), topic)
	if err != nil {
		return nil, err
	}
	obs := M{}
	one := func(key string, m *sarama.ProducerMessage) {
		done := make(chan struct{})
		var part int32
		var off int64
		var err error
		go func() {
			defer close(done)
			part, off, err = p.SendMessage(m)
		}()
		select {
		case <-done:
		case <-time.After(12 * time.Second):
			obs[key] = M{"error": "timeout"}
			return
		}
		if err != nil {
			obs[key] = M{"error": errName(err)}
			return
		}
		obs[key] = M{"error": nil, "partition": part, "offset": off}
	}
	one("too_large", &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(strings.Repeat("x", 2048)), Timestamp: time.UnixMilli(baseTS)})
	one("future_timestamp", &sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("future"), Timestamp: time.UnixMilli(4102444800000)})
	one("unknown_partition", &sarama.ProducerMessage{Topic: topic, Partition: 3, Value: sarama.StringEncoder("v")})
	one("ok", &sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("ok"), Timestamp: time.Now()})
	obs["offsets"] = partitionOffsets(s, adm, topic)
	return obs, nil
}
