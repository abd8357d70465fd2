package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func franzTxnScenarios() []scenario {
	return []scenario{
		{"franz.txn.group_transact_session", franzGroupTransactSession},
		{"franz.admin.transactions", franzAdminTransactions},
	}
}

// franzGroupTransactSession copies a topic to another with kgo's
// GroupTransactSession (consume, produce and commit the group's offsets in
// one transaction each poll): the output holds exactly one copy.
func franzGroupTransactSession(s *S) (any, error) {
	adm, in, err := topicWithRecords(s, 2, 30)
	if err != nil {
		return nil, err
	}
	out := s.N("out")
	if err := createTopic(s, adm, out, 2, nil); err != nil {
		return nil, err
	}
	group := s.N("g")
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(s.Bootstrap),
		kgo.TransactionalID(s.N("id")),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.FetchMaxWait(250*time.Millisecond),
	)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	ctx, cancel := withTimeout(s.Ctx, 30*time.Second)
	defer cancel()
	copied := 0
	for copied < 30 && ctx.Err() == nil {
		fs := sess.PollFetches(ctx)
		if fs.NumRecords() == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			return nil, err
		}
		fs.EachRecord(func(r *kgo.Record) {
			sess.Produce(ctx, &kgo.Record{Topic: out, Partition: r.Partition,
				Value: append([]byte("out-"), r.Value...), Timestamp: time.UnixMilli(baseTS)}, nil)
		})
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil {
			return nil, fmt.Errorf("end: %v", errName(err))
		}
		if committed {
			copied += fs.NumRecords()
		}
	}
	back, err := readBack(s, out, 2, 30, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	values := []string{}
	for _, r := range back {
		values = append(values, string(r.Value))
	}
	sort.Strings(values)
	return M{
		"copied":    copied,
		"output":    values,
		"committed": fetchCommitted(s, adm, group, in),
	}, nil
}

// franzAdminTransactions describes producers and transactions with kadm
// while a transaction is open, and after it commits.
func franzAdminTransactions(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	id := s.N("id")
	cl, err := newKgo(s, kgo.TransactionalID(id), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 20*time.Second)
	defer cancel()
	if err := cl.BeginTransaction(); err != nil {
		return nil, err
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x"),
		Timestamp: time.UnixMilli(baseTS)}).FirstErr(); err != nil {
		return nil, err
	}
	producers := []any{}
	dp, err := adm.DescribeProducers(ctx, kadm.TopicsSet{topic: {0: {}}})
	if err != nil {
		return nil, err
	}
	for _, p := range dp.SortedProducers() {
		producers = append(producers, M{"epoch": p.ProducerEpoch, "last_sequence": p.LastSequence,
			"txn_start": p.CurrentTxnStartOffset})
	}
	describe := func() any {
		dt, err := adm.DescribeTransactions(ctx, id)
		if err != nil {
			return M{"error": errName(err)}
		}
		d := dt[id]
		tps := []string{}
		for t, ps := range d.Topics {
			for p := range ps {
				tps = append(tps, fmt.Sprintf("%s-%d", short(s, t), p))
			}
		}
		sort.Strings(tps)
		return M{"state": d.State, "timeout_ms": d.TimeoutMillis, "topics": tps,
			"error": errName(d.Err)}
	}
	open := describe()
	listed, err := adm.ListTransactions(ctx, nil, []string{"Ongoing"})
	if err != nil {
		return nil, err
	}
	_, listedOpen := listed[id]
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return nil, err
	}
	waitFor(ctx, 10*time.Second, func() bool {
		dt, err := adm.DescribeTransactions(ctx, id)
		return err == nil && dt[id].State == "CompleteCommit"
	})
	return M{
		"producers":   producers,
		"open":        open,
		"listed_open": listedOpen,
		"done":        describe(),
	}, nil
}
