package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func franzConsumerScenarios() []scenario {
	return []scenario{
		{"franz.group.range_two_members", func(s *S) (any, error) { return franzTwoMembers(s, kgo.RangeBalancer(), true) }},
		// Which partitions a sticky balancer moves depends on the random
		// member ids: only the sizes of its assignments are observed.
		{"franz.group.cooperative_sticky_two_members", func(s *S) (any, error) {
			return franzTwoMembers(s, kgo.CooperativeStickyBalancer(), false)
		}},
		{"franz.group.commit_records", franzCommitRecords},
		{"franz.group.no_reset_offset", franzNoResetOffset},
		{"franz.group.out_of_range_reset_start", func(s *S) (any, error) { return franzOutOfRange(s, false) }},
		{"franz.group.out_of_range_reset_end", func(s *S) (any, error) { return franzOutOfRange(s, true) }},
	}
}

// kgoMember is one group member: its client, what it owns now and what
// it consumed.
type kgoMember struct {
	cl    *kgo.Client
	topic string

	mu    sync.Mutex
	owned map[int32]bool
	recs  []*kgo.Record
	errs  []string
}

func startKgoMember(s *S, group, topic string, opts ...kgo.Opt) (*kgoMember, error) {
	m := &kgoMember{topic: topic, owned: map[int32]bool{}}
	drop := func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, p := range ps[topic] {
			delete(m.owned, p)
		}
	}
	base := []kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(),
		kgo.HeartbeatInterval(500 * time.Millisecond),
		kgo.SessionTimeout(10 * time.Second),
		kgo.RebalanceTimeout(15 * time.Second),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range ps[topic] {
				m.owned[p] = true
			}
		}),
		kgo.OnPartitionsRevoked(drop),
		kgo.OnPartitionsLost(drop),
	}
	cl, err := newKgo(s, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	m.cl = cl
	return m, nil
}

func (m *kgoMember) ownedList() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int32
	for p := range m.owned {
		out = append(out, p)
	}
	return sortedInt32s(out)
}

// fetchErrName names a consumer's fetch error.
func fetchErrName(err error) any {
	if err != nil && err.Error() == "partition has no prior committed offset" {
		return "kgo: partition has no prior committed offset"
	}
	return errName(err)
}

// poll consumes until ctx ends, counting records into total.
func (m *kgoMember) poll(ctx context.Context, total *atomic.Int64) {
	for ctx.Err() == nil {
		fs := m.cl.PollFetches(ctx)
		if fs.IsClientClosed() {
			return
		}
		recs := fs.Records()
		m.mu.Lock()
		m.recs = append(m.recs, recs...)
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) ||
				errors.Is(fe.Err, kgo.ErrClientClosed) {
				continue
			}
			m.errs = append(m.errs, fmt.Sprint(fetchErrName(fe.Err)))
		}
		m.mu.Unlock()
		total.Add(int64(len(recs)))
	}
}

// describeGroup renders a classic group as kadm describes it, members
// anonymous (assignments only), sorted.
func describeGroup(s *S, adm *kadm.Client, group string) M {
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	ds, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return M{"error": errName(err)}
	}
	d, ok := ds[group]
	if !ok {
		return M{"missing": true}
	}
	var as [][]int32
	topics := map[string]bool{}
	for _, mem := range d.Members {
		var a []int32
		if ca, ok := mem.Assigned.AsConsumer(); ok {
			for _, t := range ca.Topics {
				topics[short(s, t.Topic)] = true
				a = append(a, t.Partitions...)
			}
		}
		as = append(as, a)
	}
	var tl []string
	for t := range topics {
		tl = append(tl, t)
	}
	sort.Strings(tl)
	return M{
		"error":         errName(d.Err),
		"state":         d.State,
		"protocol_type": d.ProtocolType,
		"protocol":      d.Protocol,
		"members":       len(d.Members),
		"assignments":   sortAssignments(as),
		"topics":        tl,
	}
}

// fetchCommitted renders the group's committed offsets for topic.
func fetchCommitted(s *S, adm *kadm.Client, group, topic string) any {
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	// Stable: offsets a transaction committed may still be on their way
	// (on either broker); the broker answers once they land.
	os, err := adm.FetchOffsets(kadm.RequireStable(ctx), group)
	if err != nil {
		return M{"error": errName(err)}
	}
	out := M{}
	for t, ps := range os {
		if t != topic {
			continue
		}
		for p, o := range ps {
			e := M{"offset": o.At, "metadata": normMeta(o.Metadata), "error": errName(o.Err)}
			out[fmt.Sprint(p)] = e
		}
	}
	return out
}

// produceSimple writes n records "k<i>"/"<tag><i>" to partition i%parts
// topicWithRecords creates the scenario's own topic with parts partitions
// and n records in each, and returns the admin client that made it.
func topicWithRecords(s *S, parts int32, n int) (*kadm.Client, string, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, "", err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, parts, nil); err != nil {
		return nil, "", err
	}
	if err := produceSimple(s, topic, parts, n, "v", 0); err != nil {
		return nil, "", err
	}
	return adm, topic, nil
}

// with acks=all and no idempotence, failing on any error.
func produceSimple(s *S, topic string, parts int32, n int, tag string, from int) error {
	cl, err := newKgo(s, kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RecordRetries(5))
	if err != nil {
		return err
	}
	defer closeKgo(cl)
	var recs []*kgo.Record
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i) % parts,
			Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("%s%d", tag, i)),
			Timestamp: time.UnixMilli(baseTS + int64(i))})
	}
	ctx, cancel := withTimeout(s.Ctx, 12*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

func franzTwoMembers(s *S, balancer kgo.GroupBalancer, exact bool) (any, error) {
	const parts, n = 4, 20
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic, group := s.N(""), s.N("group")
	if err := createTopic(s, adm, topic, parts, nil); err != nil {
		return nil, err
	}
	var ms []*kgoMember
	for i := 0; i < 2; i++ {
		m, err := startKgoMember(s, group, topic, kgo.Balancers(balancer))
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	settled := waitFor(s.Ctx, 20*time.Second, func() bool {
		a, b := ms[0].ownedList(), ms[1].ownedList()
		if len(a) == 0 || len(b) == 0 || len(a)+len(b) != parts {
			return false
		}
		seen := map[int32]bool{}
		for _, p := range append(a, b...) {
			seen[p] = true
		}
		if len(seen) != parts {
			return false
		}
		d := describeGroup(s, adm, group)
		return d["state"] == "Stable" && d["members"] == 2
	})
	if !settled {
		return nil, fmt.Errorf("group did not settle: %v / %v", ms[0].ownedList(), ms[1].ownedList())
	}
	assignments := assignmentsObs([][]int32{ms[0].ownedList(), ms[1].ownedList()}, parts, exact)

	pctx, stop := context.WithCancel(s.Ctx)
	var total atomic.Int64
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func(m *kgoMember) { defer wg.Done(); m.poll(pctx, &total) }(m)
	}
	if err := produceSimple(s, topic, parts, n, "v", 0); err != nil {
		stop()
		wg.Wait()
		return nil, err
	}
	waitFor(s.Ctx, 15*time.Second, func() bool { return total.Load() >= n })
	stop()
	wg.Wait()

	perPartition := M{}
	seen := map[string]int{}
	byOwner := true
	var errs []string
	for _, m := range ms {
		owned := map[int32]bool{}
		for _, p := range m.ownedList() {
			owned[p] = true
		}
		for _, r := range m.recs {
			k := fmt.Sprintf("%d/%d", r.Partition, r.Offset)
			seen[k]++
			if !owned[r.Partition] {
				byOwner = false
			}
		}
		errs = append(errs, m.errs...)
	}
	counts := map[int32]int{}
	dups := 0
	for k, c := range seen {
		var p, o int32
		fmt.Sscanf(k, "%d/%d", &p, &o)
		counts[p]++
		if c > 1 {
			dups += c - 1
		}
	}
	for p, c := range counts {
		perPartition[fmt.Sprint(p)] = c
	}
	sort.Strings(errs)

	described := describeGroup(s, adm, group)
	if as, ok := described["assignments"].([][]int32); ok {
		described["assignments"] = assignmentsObs(as, parts, exact)
	}
	var commitErrs []any
	for _, m := range ms {
		ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
		commitErrs = append(commitErrs, errName(m.cl.CommitUncommittedOffsets(ctx)))
		cancel()
	}
	committed := fetchCommitted(s, adm, group, topic)
	for _, m := range ms {
		closeKgo(m.cl)
	}
	return M{
		"assignments": assignments,
		"described":   described,
		"consumed": M{
			"distinct":      len(seen),
			"duplicates":    dups,
			"per_partition": perPartition,
			"by_owner":      byOwner,
			"fetch_errors":  errs,
		},
		"commit_errors": commitErrs,
		"committed":     committed,
		"after_close":   describeGroup(s, adm, group),
	}, nil
}

// consumeN polls one client until n records came or d passed.
func consumeN(s *S, cl *kgo.Client, n int, d time.Duration) ([]*kgo.Record, []string) {
	ctx, cancel := withTimeout(s.Ctx, d)
	defer cancel()
	var recs []*kgo.Record
	var errs []string
	for len(recs) < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if fs.IsClientClosed() {
			break
		}
		recs = append(recs, fs.Records()...)
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
				continue
			}
			errs = append(errs, fmt.Sprint(fetchErrName(fe.Err)))
		}
	}
	sortRecords(recs)
	return recs, errs
}

func offsetsOf(recs []*kgo.Record) []int64 {
	out := []int64{}
	for _, r := range recs {
		out = append(out, r.Offset)
	}
	return out
}

func clientOffsets(m map[string]map[int32]kgo.EpochOffset, topic string) M {
	out := M{}
	for p, eo := range m[topic] {
		out[fmt.Sprint(p)] = eo.Offset
	}
	return out
}

func franzCommitRecords(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic, group := s.N(""), s.N("group")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	if err := produceSimple(s, topic, 1, 10, "v", 0); err != nil {
		return nil, err
	}
	m, err := startKgoMember(s, group, topic)
	if err != nil {
		return nil, err
	}
	recs, errs := consumeN(s, m.cl, 10, 15*time.Second)
	obs := M{"first_offsets": offsetsOf(recs), "first_errors": errs}
	if len(recs) < 4 {
		return obs, nil
	}
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	obs["commit_records_error"] = errName(m.cl.CommitRecords(ctx, recs[3]))
	obs["after_commit_records"] = fetchCommitted(s, adm, group, topic)
	obs["client_committed_after_commit_records"] = clientOffsets(m.cl.CommittedOffsets(), topic)
	obs["client_uncommitted"] = clientOffsets(m.cl.UncommittedOffsets(), topic)
	obs["commit_uncommitted_error"] = errName(m.cl.CommitUncommittedOffsets(ctx))
	obs["after_commit_uncommitted"] = fetchCommitted(s, adm, group, topic)
	closeKgo(m.cl)

	// A new member resumes from the committed offset.
	if err := produceSimple(s, topic, 1, 2, "w", 10); err != nil {
		return nil, err
	}
	m2, err := startKgoMember(s, group, topic)
	if err != nil {
		return nil, err
	}
	recs2, errs2 := consumeN(s, m2.cl, 2, 15*time.Second)
	var vals []any
	for _, r := range recs2 {
		vals = append(vals, str(r.Value))
	}
	obs["resumed_offsets"] = offsetsOf(recs2)
	obs["resumed_values"] = vals
	obs["resumed_errors"] = errs2
	closeKgo(m2.cl)
	return obs, nil
}

// commitAt commits offset at for partition 0 of topic in group with kadm.
func commitAt(s *S, adm *kadm.Client, group, topic string, at int64) any {
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	os := kadm.Offsets{}
	os.AddOffset(topic, 0, at, -1)
	rs, err := adm.CommitOffsets(ctx, group, os)
	if err != nil {
		return errName(err)
	}
	return errName(rs.Error())
}

func franzNoResetOffset(s *S) (any, error) {
	adm, topic, err := topicWithRecords(s, 1, 3)
	if err != nil {
		return nil, err
	}
	obs := M{}

	// No committed offset: NoResetOffset().AtStart() starts at the beginning.
	m, err := startKgoMember(s, s.N("none"), topic, kgo.ConsumeResetOffset(kgo.NoResetOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	recs, errs := consumeN(s, m.cl, 3, 10*time.Second)
	obs["no_commit"] = M{"offsets": offsetsOf(recs), "errors": errs}
	closeKgo(m.cl)

	// A committed offset past the end: the error goes to the user.
	g := s.N("past-end")
	obs["commit_past_end"] = commitAt(s, adm, g, topic, 100)
	m, err = startKgoMember(s, g, topic, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	if err != nil {
		return nil, err
	}
	recs, errs = consumeUntilError(s, m.cl, 8*time.Second)
	obs["past_end"] = M{"offsets": offsetsOf(recs), "errors": errs}
	closeKgo(m.cl)

	// AtCommitted: a partition without a commit is not consumed.
	m, err = startKgoMember(s, s.N("at-committed"), topic, kgo.ConsumeResetOffset(kgo.NoResetOffset().AtCommitted()))
	if err != nil {
		return nil, err
	}
	recs, errs = consumeUntilError(s, m.cl, 8*time.Second)
	obs["at_committed"] = M{"offsets": offsetsOf(recs), "errors": errs}
	closeKgo(m.cl)
	return obs, nil
}

// consumeUntilError polls until a fetch error or a record arrives.
func consumeUntilError(s *S, cl *kgo.Client, d time.Duration) ([]*kgo.Record, []string) {
	ctx, cancel := withTimeout(s.Ctx, d)
	defer cancel()
	var recs []*kgo.Record
	errs := []string{}
	for ctx.Err() == nil && len(errs) == 0 && len(recs) == 0 {
		fs := cl.PollFetches(ctx)
		if fs.IsClientClosed() {
			break
		}
		recs = append(recs, fs.Records()...)
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
				continue
			}
			errs = append(errs, fmt.Sprint(fetchErrName(fe.Err)))
		}
	}
	sort.Strings(errs)
	return recs, dedupe(errs)
}

func dedupe(in []string) []string {
	out := []string{}
	for i, v := range in {
		if i == 0 || in[i-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func franzOutOfRange(s *S, atEnd bool) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic, group := s.N(""), s.N("group")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	if err := produceSimple(s, topic, 1, 5, "v", 0); err != nil {
		return nil, err
	}
	obs := M{"commit_past_end": commitAt(s, adm, group, topic, 100)}
	reset := kgo.NewOffset().AtStart()
	if atEnd {
		reset = kgo.NewOffset().AtEnd()
	}
	m, err := startKgoMember(s, group, topic, kgo.ConsumeResetOffset(reset))
	if err != nil {
		return nil, err
	}
	if !atEnd {
		recs, errs := consumeN(s, m.cl, 5, 10*time.Second)
		obs["offsets"] = offsetsOf(recs)
		obs["errors"] = errs
	} else {
		// The consumer sits at the end: records written from now on
		// (one every 300 ms until it sees one) are the first it gets.
		ctx, cancel := withTimeout(s.Ctx, 12*time.Second)
		defer cancel()
		got := make(chan []*kgo.Record, 1)
		go func() {
			recs, _ := consumeN(s, m.cl, 1, 12*time.Second)
			got <- recs
		}()
		var recs []*kgo.Record
		i := 0
	loop:
		for {
			select {
			case recs = <-got:
				break loop
			case <-time.After(300 * time.Millisecond):
				if err := produceSimple(s, topic, 1, 1, "late", 5+i); err != nil {
					return nil, err
				}
				i++
			case <-ctx.Done():
				break loop
			}
		}
		if len(recs) > 0 {
			obs["first_offset_at_least_5"] = recs[0].Offset >= 5
			obs["first_is_late"] = strings.HasPrefix(string(recs[0].Value), "late")
		} else {
			obs["first_offset_at_least_5"] = nil
		}
	}
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	if !atEnd {
		obs["commit_error"] = errName(m.cl.CommitUncommittedOffsets(ctx))
		obs["committed"] = fetchCommitted(s, adm, group, topic)
	}
	closeKgo(m.cl)
	return obs, nil
}
