package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// errName names an error the way the suite compares them: Kafka's error
// name when the broker sent one (kerr.Error's Message, or Sarama's KError
// by its code), else the client's sentinel or the error's Go type. Message
// texts never appear.
func errName(err error) any {
	if err == nil {
		return nil
	}
	kafka := kafkaErrName(err)
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			if kafka != "" {
				return s.name + "/" + kafka
			}
			return s.name
		}
	}
	if kafka != "" {
		return kafka
	}
	var ce sarama.ConfigurationError
	if errors.As(err, &ce) {
		return "sarama.ConfigurationError"
	}
	var pe *sarama.ProducerError
	if errors.As(err, &pe) && pe.Err != nil {
		return errName(pe.Err)
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil && ue.Unwrap() != err {
		return errName(ue.Unwrap())
	}
	return fmt.Sprintf("%T", err)
}

// errCode is the kerr error for a response's error code (nil for 0).
func errCode(code int16) error {
	return kerr.ErrorForCode(code)
}

// kafkaErrName is the Kafka error name inside err, or "".
func kafkaErrName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	var sk sarama.KError
	if errors.As(err, &sk) {
		return kErrorName(sk)
	}
	return ""
}

// kErrorName is the protocol name of Sarama's KError, by its code.
func kErrorName(k sarama.KError) string {
	if k == sarama.ErrNoError {
		return "NONE"
	}
	if e, ok := kerr.ErrorForCode(int16(k)).(*kerr.Error); ok && e.Code == int16(k) {
		return e.Message
	}
	return fmt.Sprintf("KError(%d)", int16(k))
}

// kErr names a KError field that is not an error when ErrNoError.
func kErr(k sarama.KError) any {
	if k == sarama.ErrNoError {
		return nil
	}
	return kErrorName(k)
}

var sentinels = []struct {
	err  error
	name string
}{
	{kgo.ErrRecordTimeout, "kgo.ErrRecordTimeout"},
	{kgo.ErrRecordRetries, "kgo.ErrRecordRetries"},
	{kgo.ErrClientClosed, "kgo.ErrClientClosed"},
	{kgo.ErrMaxBuffered, "kgo.ErrMaxBuffered"},
	{kgo.ErrAborting, "kgo.ErrAborting"},
	{context.DeadlineExceeded, "context.DeadlineExceeded"},
	{context.Canceled, "context.Canceled"},
	{sarama.ErrOutOfBrokers, "sarama.ErrOutOfBrokers"},
	{sarama.ErrBrokerNotFound, "sarama.ErrBrokerNotFound"},
	{sarama.ErrClosedClient, "sarama.ErrClosedClient"},
	{sarama.ErrIncompleteResponse, "sarama.ErrIncompleteResponse"},
	{sarama.ErrInvalidPartition, "sarama.ErrInvalidPartition"},
	{sarama.ErrNotConnected, "sarama.ErrNotConnected"},
	{sarama.ErrShuttingDown, "sarama.ErrShuttingDown"},
	{sarama.ErrMessageTooLarge, "sarama.ErrMessageTooLarge"},
	{sarama.ErrConsumerOffsetNotAdvanced, "sarama.ErrConsumerOffsetNotAdvanced"},
	{sarama.ErrConsumerRetriesExhausted, "sarama.ErrConsumerRetriesExhausted"},
	{sarama.ErrControllerNotAvailable, "sarama.ErrControllerNotAvailable"},
	{sarama.ErrNoTopicsToUpdateMetadata, "sarama.ErrNoTopicsToUpdateMetadata"},
	{sarama.ErrDeleteRecords, "sarama.ErrDeleteRecords"},
	{sarama.ErrUnknownMessage, "sarama.ErrUnknownMessage"},
}

var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// normMeta hides the member ids kgo writes into commit metadata: they are
// the broker's random member ids ("kgo-<uuid>" from Kafka).
func normMeta(md string) string {
	if strings.HasPrefix(md, "kgo-") {
		return "<kgo member id>"
	}
	return uuidRE.ReplaceAllString(md, "<uuid>")
}

// cfgOp is one incremental config change: op 0 set, 1 delete, 2 append,
// 3 subtract (kadm's and Sarama's numbering).
type cfgOp struct {
	name  string
	op    int
	value string
}

// cfgReflects tells whether described configs (name -> {value, source})
// show the changes; names not described count as shown.
func cfgReflects(cfgs M, ops []cfgOp, dynamicSource string) bool {
	for _, o := range ops {
		e, ok := cfgs[o.name].(M)
		if !ok {
			continue
		}
		v, _ := e["value"].(string)
		src, _ := e["source"].(string)
		items := strings.Split(v, ",")
		switch o.op {
		case 0:
			if v != o.value {
				return false
			}
		case 1:
			if src == dynamicSource {
				return false
			}
		case 2:
			if !slices.Contains(items, o.value) {
				return false
			}
		case 3:
			if slices.Contains(items, o.value) {
				return false
			}
		}
	}
	return true
}

// str shows bytes as a string, nil as null.
func str(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func strp(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func sp(s string) *string { return &s }

var codecNames = map[uint8]string{0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}

func codecName(c uint8) string {
	if n, ok := codecNames[c]; ok {
		return n
	}
	return fmt.Sprintf("codec(%d)", c)
}

func sortedInt32s(in []int32) []int32 {
	out := append([]int32(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// sortAssignments sorts each member's partitions, then the members by
// their partitions, so anonymous members compare equal across runs.
func sortAssignments(as [][]int32) [][]int32 {
	out := make([][]int32, 0, len(as))
	for _, a := range as {
		out = append(out, sortedInt32s(a))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return out
}

// assignmentsObs shows members' assignments sorted, or, when the exact
// partitions are not deterministic, their sorted sizes and whether together
// they cover the parts partitions exactly once.
func assignmentsObs(as [][]int32, parts int, exact bool) any {
	if exact {
		return sortAssignments(as)
	}
	sizes := []int{}
	seen := map[int32]int{}
	for _, a := range as {
		sizes = append(sizes, len(a))
		for _, p := range a {
			seen[p]++
		}
	}
	sort.Ints(sizes)
	exactlyOnce := len(seen) == parts
	for _, c := range seen {
		exactlyOnce = exactlyOnce && c == 1
	}
	return M{"sizes": sizes, "cover_all_once": exactlyOnce}
}

// waitFor polls cond every 100 ms until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// ---- franz-go plumbing shared by the franz and the sarama scenarios ----

// newKgo makes a kgo client closed when the scenario ends.
func newKgo(s *S, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(s.Bootstrap),
		kgo.FetchMaxWait(250 * time.Millisecond),
		kgo.RetryTimeout(10 * time.Second),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	s.Defer(func() { closeKgo(cl) })
	return cl, nil
}

var closedKgo sync.Map

// closeKgo closes a kgo client once, whoever asks first.
func closeKgo(cl *kgo.Client) {
	if _, done := closedKgo.LoadOrStore(cl, true); !done {
		cl.Close()
	}
}

// newAdmin makes a kadm client (over its own kgo client) for the scenario.
func newAdmin(s *S) (*kadm.Client, error) {
	cl, err := newKgo(s)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(10000)
	return adm, nil
}

// createTopic creates a topic (replication factor 1) and waits until
// its partitions have leaders in the metadata. Topics written with explicit
// timestamps keep retention.ms=-1 so time retention never removes them.
func createTopic(s *S, adm *kadm.Client, topic string, partitions int32, configs map[string]string) error {
	cfg := map[string]*string{}
	for k, v := range configs {
		cfg[k] = sp(v)
	}
	if _, ok := cfg["retention.ms"]; !ok {
		cfg["retention.ms"] = sp("-1")
	}
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	_, err := adm.CreateTopic(ctx, partitions, 1, cfg, topic)
	if err != nil {
		return fmt.Errorf("create topic %s: %v", short(s, topic), errName(err))
	}
	return waitTopic(s, adm, topic, int(partitions))
}

// waitTopic waits until the metadata shows the topic with n led partitions
// and every partition's leader answers ListOffsets.
func waitTopic(s *S, adm *kadm.Client, topic string, n int) error {
	ok := waitFor(s.Ctx, 10*time.Second, func() bool {
		ctx, cancel := withTimeout(s.Ctx, 3*time.Second)
		defer cancel()
		td, err := adm.ListTopics(ctx, topic)
		if err != nil {
			return false
		}
		d, ok := td[topic]
		if !ok || d.Err != nil || len(d.Partitions) != n {
			return false
		}
		for _, p := range d.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false
			}
		}
		// The leader serves the partition once it answers ListOffsets;
		// before that an acks=0 write could be dropped unseen.
		lo, err := adm.ListEndOffsets(ctx, topic)
		if err != nil || len(lo[topic]) != n {
			return false
		}
		for _, o := range lo[topic] {
			if o.Err != nil {
				return false
			}
		}
		return true
	})
	if !ok {
		return fmt.Errorf("topic %s did not show %d partitions with leaders", topic, n)
	}
	return nil
}

// listedOffsets renders kadm's ListedOffsets of one topic by partition.
func listedOffsets(lo kadm.ListedOffsets, err error, topic string) any {
	if err != nil {
		return M{"error": errName(err)}
	}
	ps, ok := lo[topic]
	if !ok {
		return M{"missing": true}
	}
	out := M{}
	for p, o := range ps {
		e := M{"offset": o.Offset, "error": errName(o.Err)}
		if o.Err != nil {
			e = M{"error": errName(o.Err)}
		}
		out[fmt.Sprint(p)] = e
	}
	return out
}

// partitionOffsets lists the start and end offsets of a topic's partitions.
func partitionOffsets(s *S, adm *kadm.Client, topic string) M {
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	start, serr := adm.ListStartOffsets(ctx, topic)
	end, eerr := adm.ListEndOffsets(ctx, topic)
	return M{"start": listedOffsets(start, serr, topic), "end": listedOffsets(end, eerr, topic)}
}

// hasPrefix filters names to the scenario's own.
func hasPrefix(s *S, name string) bool { return strings.HasPrefix(name, s.N("")) }

// short strips the scenario's base name from one of its names, so the
// observations read the same whatever the prefix.
func short(s *S, name string) string {
	if strings.HasPrefix(name, s.N("")) {
		r := strings.TrimPrefix(name, s.N(""))
		r = strings.TrimPrefix(r, "-")
		if r == "" {
			return "."
		}
		return r
	}
	return name
}
