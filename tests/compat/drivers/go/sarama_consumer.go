package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

func saramaConsumerScenarios() []scenario {
	return []scenario{
		{"sarama.group.range_two_members", func(s *S) (any, error) {
			return saramaTwoMembers(s, sarama.NewBalanceStrategyRange(), true)
		}},
		{"sarama.group.sticky_two_members", func(s *S) (any, error) {
			// Sticky's choice depends on the random member ids: sizes only.
			return saramaTwoMembers(s, sarama.NewBalanceStrategySticky(), false)
		}},
		{"sarama.consumer.partition_offsets", saramaPartitionOffsets},
	}
}

// saramaMember is a ConsumerGroupHandler that remembers its claims and
// what it consumed.
type saramaMember struct {
	topic string
	total *atomic.Int64

	mu     sync.Mutex
	claims []int32
	gen    int32
	sess   sarama.ConsumerGroupSession
	msgs   []*sarama.ConsumerMessage
	errs   []string
}

func (h *saramaMember) Setup(sess sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claims = sortedInt32s(sess.Claims()[h.topic])
	h.gen = sess.GenerationID()
	h.sess = sess
	return nil
}

func (h *saramaMember) Cleanup(sess sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claims = nil
	h.sess = nil
	return nil
}

func (h *saramaMember) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			h.mu.Lock()
			h.msgs = append(h.msgs, m)
			h.mu.Unlock()
			sess.MarkMessage(m, "")
			h.total.Add(1)
		case <-sess.Context().Done():
			return nil
		}
	}
}

func (h *saramaMember) state() ([]int32, int32, sarama.ConsumerGroupSession) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.claims, h.gen, h.sess
}

func saramaGroupConfig(strategy sarama.BalanceStrategy) *sarama.Config {
	cfg := saramaConfig()
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{strategy}
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Rebalance.Timeout = 15 * time.Second
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 200 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Return.Errors = false
	return cfg
}

func newSaramaAdmin(s *S) (sarama.ClusterAdmin, error) {
	a, err := sarama.NewClusterAdmin([]string{s.Bootstrap}, saramaConfig())
	if err != nil {
		return nil, err
	}
	s.Defer(func() { _ = a.Close() })
	return a, nil
}

// saramaDescribeGroup renders a group as Sarama's admin describes it,
// members anonymous.
func saramaDescribeGroup(s *S, a sarama.ClusterAdmin, group string) M {
	ds, err := a.DescribeConsumerGroups([]string{group})
	if err != nil {
		return M{"error": errName(err)}
	}
	if len(ds) != 1 {
		return M{"count": len(ds)}
	}
	d := ds[0]
	var as [][]int32
	for _, m := range d.Members {
		ma, err := m.GetMemberAssignment()
		var a []int32
		if err == nil && ma != nil {
			for t, ps := range ma.Topics {
				_ = t
				a = append(a, ps...)
			}
		}
		as = append(as, a)
	}
	return M{
		"error":         kErr(d.Err),
		"state":         d.State,
		"protocol_type": d.ProtocolType,
		"protocol":      d.Protocol,
		"members":       len(d.Members),
		"assignments":   sortAssignments(as),
	}
}

// saramaCommitted lists the group's committed offsets for the partitions.
func saramaCommitted(s *S, a sarama.ClusterAdmin, group, topic string, parts []int32) any {
	var req map[string][]int32
	if parts != nil {
		req = map[string][]int32{topic: parts}
	}
	r, err := a.ListConsumerGroupOffsets(group, req)
	if err != nil {
		return M{"error": errName(err)}
	}
	out := M{}
	var blocks map[string]map[int32]*sarama.OffsetFetchResponseBlock
	topErr := r.Err
	if len(r.Groups) > 0 {
		g := r.Groups[0]
		topErr = g.Err
		blocks = map[string]map[int32]*sarama.OffsetFetchResponseBlock{}
		for t, ps := range g.Blocks {
			blocks[t] = ps
		}
	} else {
		blocks = r.Blocks
	}
	for t, ps := range blocks {
		if t != topic {
			continue
		}
		for p, b := range ps {
			out[fmt.Sprint(p)] = M{"offset": b.Offset, "metadata": normMeta(b.Metadata), "error": kErr(b.Err)}
		}
	}
	return M{"error": kErr(topErr), "partitions": out}
}

func saramaTwoMembers(s *S, strategy sarama.BalanceStrategy, exact bool) (any, error) {
	const parts, n = 4, 20
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	sa, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	topic, group := s.N(""), s.N("group")
	if err := createTopic(s, adm, topic, parts, nil); err != nil {
		return nil, err
	}
	var total atomic.Int64
	gctx, stop := context.WithCancel(s.Ctx)
	defer stop()
	var wg sync.WaitGroup
	var ms []*saramaMember
	var groups []sarama.ConsumerGroup
	for i := 0; i < 2; i++ {
		cg, err := sarama.NewConsumerGroup([]string{s.Bootstrap}, group, saramaGroupConfig(strategy))
		if err != nil {
			return nil, err
		}
		closed := false
		var cmu sync.Mutex
		closeCG := func() {
			cmu.Lock()
			defer cmu.Unlock()
			if !closed {
				closed = true
				_ = cg.Close()
			}
		}
		s.Defer(closeCG)
		h := &saramaMember{topic: topic, total: &total}
		ms = append(ms, h)
		groups = append(groups, cg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for gctx.Err() == nil {
				if err := cg.Consume(gctx, []string{topic}, h); err != nil {
					h.mu.Lock()
					h.errs = append(h.errs, fmt.Sprint(errName(err)))
					h.mu.Unlock()
					select {
					case <-gctx.Done():
					case <-time.After(200 * time.Millisecond):
					}
				}
			}
		}()
	}
	settled := waitFor(s.Ctx, 20*time.Second, func() bool {
		a, ga, sa1 := ms[0].state()
		b, gb, sb := ms[1].state()
		if sa1 == nil || sb == nil || ga != gb || len(a) == 0 || len(b) == 0 || len(a)+len(b) != parts {
			return false
		}
		seen := map[int32]bool{}
		for _, p := range append(append([]int32{}, a...), b...) {
			seen[p] = true
		}
		return len(seen) == parts
	})
	if !settled {
		a, _, _ := ms[0].state()
		b, _, _ := ms[1].state()
		return nil, fmt.Errorf("group did not settle: %v / %v", a, b)
	}
	a, _, _ := ms[0].state()
	b, _, _ := ms[1].state()
	assignments := assignmentsObs([][]int32{a, b}, parts, exact)
	if err := produceSimple(s, topic, parts, n, "v", 0); err != nil {
		return nil, err
	}
	waitFor(s.Ctx, 15*time.Second, func() bool { return total.Load() >= n })

	seen := map[string]int{}
	perPartition := map[int32]int{}
	byOwner := true
	var errs []string
	for _, m := range ms {
		m.mu.Lock()
		owned := map[int32]bool{}
		for _, p := range m.claims {
			owned[p] = true
		}
		for _, msg := range m.msgs {
			k := fmt.Sprintf("%d/%d", msg.Partition, msg.Offset)
			if seen[k] == 0 {
				perPartition[msg.Partition]++
			}
			seen[k]++
			if !owned[msg.Partition] {
				byOwner = false
			}
		}
		errs = append(errs, m.errs...)
		m.mu.Unlock()
	}
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	pp := M{}
	for p, c := range perPartition {
		pp[fmt.Sprint(p)] = c
	}
	sort.Strings(errs)
	described := saramaDescribeGroup(s, sa, group)
	if as, ok := described["assignments"].([][]int32); ok {
		described["assignments"] = assignmentsObs(as, parts, exact)
	}
	for _, m := range ms {
		if _, _, sess := m.state(); sess != nil {
			sess.Commit()
		}
	}
	committed := saramaCommitted(s, sa, group, topic, nil)
	stop()
	for _, cg := range groups {
		_ = cg.Close()
	}
	wg.Wait()
	return M{
		"assignments": assignments,
		"described":   described,
		"consumed": M{
			"distinct":      len(seen),
			"duplicates":    dups,
			"per_partition": pp,
			"by_owner":      byOwner,
			"errors":        errs,
		},
		"committed":   committed,
		"after_close": saramaDescribeGroup(s, sa, group),
	}, nil
}

func saramaPartitionOffsets(s *S) (any, error) {
	_, topic, err := topicWithRecords(s, 1, 5)
	if err != nil {
		return nil, err
	}
	c, err := sarama.NewConsumer([]string{s.Bootstrap}, saramaConfig())
	if err != nil {
		return nil, err
	}
	s.Defer(func() { _ = c.Close() })
	obs := M{}
	read := func(pc sarama.PartitionConsumer, n int) ([]int64, []string) {
		offs := []int64{}
		errs := []string{}
		timeout := time.After(10 * time.Second)
		for len(offs) < n {
			select {
			case m := <-pc.Messages():
				offs = append(offs, m.Offset)
			case e := <-pc.Errors():
				errs = append(errs, fmt.Sprint(errName(e.Err)))
			case <-timeout:
				return offs, append(errs, "timeout")
			}
		}
		return offs, errs
	}
	consume := func(key string, p int32, from int64, n int, before func()) {
		pc, err := c.ConsumePartition(topic, p, from)
		if err != nil {
			obs[key] = M{"error": errName(err)}
			return
		}
		if before != nil {
			before()
		}
		offs, errs := read(pc, n)
		obs[key] = M{"error": nil, "offsets": offs, "errors": errs, "high_watermark": pc.HighWaterMarkOffset()}
		_ = pc.Close()
	}
	consume("oldest", 0, sarama.OffsetOldest, 5, nil)
	consume("newest", 0, sarama.OffsetNewest, 2, func() {
		if err := produceSimple(s, topic, 1, 2, "w", 5); err != nil {
			logf("%s: produce: %v", s.Name, err)
		}
	})
	consume("at_3", 0, 3, 2, nil)
	consume("out_of_range_high", 0, 100, 1, nil)
	consume("out_of_range_negative", 0, -5, 1, nil)
	consume("unknown_partition", 4, sarama.OffsetOldest, 1, nil)

	cl, err := sarama.NewClient([]string{s.Bootstrap}, saramaConfig())
	if err != nil {
		return nil, err
	}
	s.Defer(func() { _ = cl.Close() })
	oldest, err1 := cl.GetOffset(topic, 0, sarama.OffsetOldest)
	newest, err2 := cl.GetOffset(topic, 0, sarama.OffsetNewest)
	byTime, err3 := cl.GetOffset(topic, 0, baseTS+3)
	obs["get_offset"] = M{
		"oldest": oldest, "oldest_error": errName(err1),
		"newest": newest, "newest_error": errName(err2),
		"by_time": byTime, "by_time_error": errName(err3),
	}
	return obs, nil
}
