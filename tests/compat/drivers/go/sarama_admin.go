package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/IBM/sarama"
)

func saramaAdminScenarios() []scenario {
	return []scenario{
		{"sarama.admin.topics", saramaTopics},
		{"sarama.admin.create_partitions", saramaCreatePartitions},
		{"sarama.admin.configs", saramaConfigs},
		{"sarama.admin.delete_records", saramaDeleteRecords},
		{"sarama.admin.groups", saramaGroups},
		{"sarama.admin.cluster", saramaCluster},
	}
}

func saramaTopicMetadataObs(s *S, tm *sarama.TopicMetadata) M {
	ps := M{}
	for _, p := range tm.Partitions {
		ps[fmt.Sprint(p.ID)] = M{
			"error":    kErr(p.Err),
			"leader":   p.Leader,
			"replicas": sortedInt32s(p.Replicas),
			"isr":      sortedInt32s(p.Isr),
		}
	}
	return M{"error": kErr(tm.Err), "internal": tm.IsInternal, "partitions": ps}
}

// saramaWaitTopic waits until Sarama's admin describes the topic with n
// partitions.
func saramaWaitTopic(s *S, a sarama.ClusterAdmin, topic string, n int) bool {
	return waitFor(s.Ctx, 10*time.Second, func() bool {
		tms, err := a.DescribeTopics([]string{topic})
		return err == nil && len(tms) == 1 && tms[0].Err == sarama.ErrNoError && len(tms[0].Partitions) == n
	})
}

func saramaTopics(s *S) (any, error) {
	a, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	obs := M{}
	create := func(key string, d *sarama.TopicDetail, validate bool) {
		obs["create_"+key] = errName(a.CreateTopic(s.N(key), d, validate))
	}
	create("plain", &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": sp("-1")}}, false)
	create("configs", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"cleanup.policy": sp("compact"), "retention.ms": sp("-1")}}, false)
	create("defaults", &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1}, false)
	create("validate", &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, true)
	create("partitions-0", &sarama.TopicDetail{NumPartitions: 0, ReplicationFactor: 1}, false)
	create("replication-3", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 3}, false)
	create("invalid-config", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": sp("forever")}}, false)
	create("unknown-config", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"no.such.config": sp("1")}}, false)
	obs["create_plain_again"] = errName(a.CreateTopic(s.N("plain"), &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false))

	saramaWaitTopic(s, a, s.N("plain"), 3)
	saramaWaitTopic(s, a, s.N("configs"), 1)
	saramaWaitTopic(s, a, s.N("defaults"), 1)

	all, err := a.ListTopics()
	if err != nil {
		obs["list"] = M{"error": errName(err)}
	} else {
		listed := M{}
		for name, d := range all {
			if hasPrefix(s, name) {
				e := M{"partitions": d.NumPartitions, "replication_factor": d.ReplicationFactor}
				if v, ok := d.ConfigEntries["cleanup.policy"]; ok {
					e["cleanup.policy"] = strp(v)
				}
				listed[short(s, name)] = e
			}
		}
		obs["list"] = listed
	}

	tms, err := a.DescribeTopics([]string{s.N("plain"), s.N("unknown")})
	if err != nil {
		obs["describe"] = M{"error": errName(err)}
	} else {
		d := M{}
		for _, tm := range tms {
			d[short(s, tm.Name)] = saramaTopicMetadataObs(s, tm)
		}
		obs["describe"] = d
	}

	obs["delete_plain"] = errName(a.DeleteTopic(s.N("plain")))
	obs["delete_unknown"] = errName(a.DeleteTopic(s.N("unknown")))
	obs["plain_gone"] = waitFor(s.Ctx, 10*time.Second, func() bool {
		tms, err := a.DescribeTopics([]string{s.N("plain")})
		return err == nil && len(tms) == 1 && tms[0].Err != sarama.ErrNoError
	})
	return obs, nil
}

func saramaCreatePartitions(s *S) (any, error) {
	a, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		return nil, err
	}
	saramaWaitTopic(s, a, topic, 2)
	obs := M{}
	obs["validate_5"] = errName(a.CreatePartitions(topic, 5, nil, true))
	obs["grow_4"] = errName(a.CreatePartitions(topic, 4, nil, false))
	obs["count_after_grow_is_4"] = saramaWaitTopic(s, a, topic, 4)
	obs["shrink_3"] = errName(a.CreatePartitions(topic, 3, nil, false))
	obs["same_4"] = errName(a.CreatePartitions(topic, 4, nil, false))
	obs["unknown_topic"] = errName(a.CreatePartitions(s.N("unknown"), 4, nil, false))
	obs["bad_assignment"] = errName(a.CreatePartitions(topic, 5, [][]int32{{7}}, false))
	tms, err := a.DescribeTopics([]string{topic})
	if err == nil && len(tms) == 1 {
		obs["count_after"] = len(tms[0].Partitions)
	}
	return obs, nil
}

func saramaConfigEntries(s *S, a sarama.ClusterAdmin, topic string, names []string) any {
	entries, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: names})
	if err != nil {
		return M{"error": errName(err)}
	}
	want := map[string]bool{}
	for _, k := range describedKeys {
		want[k] = true
	}
	out := M{}
	for _, e := range entries {
		if want[e.Name] {
			out[e.Name] = M{"value": e.Value, "source": e.Source.String(), "read_only": e.ReadOnly,
				"default": e.Default, "sensitive": e.Sensitive}
		}
	}
	return out
}

func saramaConfigs(s *S) (any, error) {
	a, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": sp("3600000"), "compression.type": sp("gzip")}}, false); err != nil {
		return nil, err
	}
	saramaWaitTopic(s, a, topic, 1)
	obs := M{}
	obs["describe_all"] = saramaConfigEntries(s, a, topic, nil)
	obs["describe_named"] = saramaConfigEntries(s, a, topic, []string{"retention.ms", "cleanup.policy"})
	obs["describe_unknown_topic"] = saramaConfigEntries(s, a, s.N("unknown"), nil)
	alter := func(key, name string, entries map[string]sarama.IncrementalAlterConfigsEntry, validate bool) {
		err := a.IncrementalAlterConfig(sarama.TopicResource, name, entries, validate)
		if err == nil && !validate && name == topic {
			// Kafka applies altered configs asynchronously: wait (bounded)
			// until a describe shows them before observing.
			var ops []cfgOp
			for n, e := range entries {
				v := ""
				if e.Value != nil {
					v = *e.Value
				}
				ops = append(ops, cfgOp{n, int(e.Operation), v})
			}
			waitFor(s.Ctx, 5*time.Second, func() bool {
				c, _ := saramaConfigEntries(s, a, topic, nil).(M)
				return cfgReflects(c, ops, "Topic")
			})
		}
		obs[key] = M{"error": errName(err), "described": saramaConfigEntries(s, a, topic, nil)}
	}
	set := sarama.IncrementalAlterConfigsOperationSet
	alter("1_set", topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms":      {Operation: set, Value: sp("7200000")},
		"max.message.bytes": {Operation: set, Value: sp("3000")},
	}, false)
	alter("2_delete", topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"compression.type": {Operation: sarama.IncrementalAlterConfigsOperationDelete},
	}, false)
	alter("3_append", topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"cleanup.policy": {Operation: sarama.IncrementalAlterConfigsOperationAppend, Value: sp("compact")},
	}, false)
	alter("4_invalid_value", topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"min.insync.replicas": {Operation: set, Value: sp("zero")},
	}, false)
	alter("5_unknown_config", topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"no.such.config": {Operation: set, Value: sp("1")},
	}, false)
	alter("6_unknown_topic", s.N("unknown"), map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms": {Operation: set, Value: sp("1000")},
	}, false)
	alter("7_validate_only", topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms": {Operation: set, Value: sp("1000")},
	}, true)
	return obs, nil
}

func saramaDeleteRecords(s *S) (any, error) {
	a, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	adm, topic, err := topicWithRecords(s, 2, 10)
	if err != nil {
		return nil, err
	}
	obs := M{}
	obs["valid"] = errName(a.DeleteRecords(topic, map[int32]int64{0: 3, 1: 5}))
	obs["after_valid"] = partitionOffsets(s, adm, topic)
	obs["beyond_hwm"] = errName(a.DeleteRecords(topic, map[int32]int64{0: 99}))
	obs["unknown_partition"] = errName(a.DeleteRecords(topic, map[int32]int64{9: 1}))
	obs["to_end"] = errName(a.DeleteRecords(topic, map[int32]int64{1: -1}))
	obs["after"] = partitionOffsets(s, adm, topic)
	return obs, nil
}

func saramaGroups(s *S) (any, error) {
	a, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	f, err := newGroupFixture(s, 4)
	if err != nil {
		return nil, err
	}
	topic, live, empty, unknown, m := f.topic, f.live, f.empty, f.unknown, f.member
	obs := M{}
	resp, err := a.AlterConsumerGroupOffsets(empty, map[string]map[int32]sarama.OffsetAndMetadata{
		topic: {0: {Offset: 1, LeaderEpoch: -1, Metadata: "m0"}, 1: {Offset: 2, LeaderEpoch: -1}},
	}, nil)
	if err != nil {
		obs["commit_empty"] = M{"error": errName(err)}
	} else {
		c := M{}
		for t, ps := range resp.Errors {
			for p, e := range ps {
				c[fmt.Sprintf("%s/%d", short(s, t), p)] = kErr(e)
			}
		}
		obs["commit_empty"] = c
	}

	groups, err := a.ListConsumerGroups()
	if err != nil {
		obs["list"] = M{"error": errName(err)}
	} else {
		l := M{}
		for g, pt := range groups {
			if hasPrefix(s, g) {
				l[short(s, g)] = pt
			}
		}
		obs["list"] = l
	}
	ds := M{}
	for _, g := range []string{live, empty, unknown} {
		ds[short(s, g)] = saramaDescribeGroup(s, a, g)
	}
	obs["describe"] = ds
	offs := M{}
	offs["live_all"] = saramaCommitted(s, a, live, topic, nil)
	offs["empty_named"] = saramaCommitted(s, a, empty, topic, []int32{0, 1})
	offs["unknown_named"] = saramaCommitted(s, a, unknown, topic, []int32{0})
	obs["offsets"] = offs

	obs["delete_offset_empty"] = errName(a.DeleteConsumerGroupOffset(empty, topic, 0))
	obs["after_delete_offset_empty"] = saramaCommitted(s, a, empty, topic, []int32{0, 1})
	obs["delete_offset_live"] = errName(a.DeleteConsumerGroupOffset(live, topic, 0))
	obs["delete_group_live"] = errName(a.DeleteConsumerGroup(live))
	obs["delete_group_empty"] = errName(a.DeleteConsumerGroup(empty))
	obs["delete_group_unknown"] = errName(a.DeleteConsumerGroup(unknown))
	closeKgo(m.cl)
	obs["delete_group_live_after_close"] = errName(a.DeleteConsumerGroup(live))
	groups, err = a.ListConsumerGroups()
	if err == nil {
		names := []string{}
		for g := range groups {
			if hasPrefix(s, g) {
				names = append(names, short(s, g))
			}
		}
		sort.Strings(names)
		obs["listed_after"] = names
	}
	return obs, nil
}

func saramaCluster(s *S) (any, error) {
	a, err := newSaramaAdmin(s)
	if err != nil {
		return nil, err
	}
	obs := M{}
	brokers, controller, err := a.DescribeCluster()
	if err != nil {
		obs["describe_cluster"] = M{"error": errName(err)}
	} else {
		var ids []int32
		for _, b := range brokers {
			ids = append(ids, b.ID())
		}
		obs["describe_cluster"] = M{"brokers": sortedInt32s(ids), "controller": controller}
	}
	c, err := a.Controller()
	if err != nil {
		obs["controller"] = M{"error": errName(err)}
	} else {
		obs["controller"] = c.ID()
	}
	_, topic, err := topicWithRecords(s, 2, 4)
	if err != nil {
		return nil, err
	}
	dirs, err := a.DescribeLogDirs([]int32{1})
	if err != nil {
		obs["log_dirs"] = M{"error": errName(err)}
	} else {
		ld := M{}
		for b, ds := range dirs {
			var out []any
			for _, d := range ds {
				parts := []any{}
				for _, t := range d.Topics {
					if t.Topic != topic {
						continue
					}
					ps := append([]sarama.DescribeLogDirsResponsePartition(nil), t.Partitions...)
					sort.Slice(ps, func(i, j int) bool { return ps[i].PartitionID < ps[j].PartitionID })
					for _, p := range ps {
						parts = append(parts, M{"partition": p.PartitionID, "size_gt_0": p.Size > 0, "future": p.IsTemporary})
					}
				}
				out = append(out, M{"error": kErr(d.ErrorCode), "partitions": parts})
			}
			ld[fmt.Sprint(b)] = out
		}
		obs["log_dirs"] = ld
	}
	res, err := a.ElectLeaders(sarama.PreferredElection, map[string][]int32{topic: {0, 1}})
	if err != nil {
		obs["elect_leaders"] = M{"error": errName(err)}
	} else {
		el := M{}
		for t, ps := range res {
			for p, r := range ps {
				el[fmt.Sprintf("%s/%d", short(s, t), p)] = kErr(r.ErrorCode)
			}
		}
		obs["elect_leaders"] = el
	}
	return obs, nil
}
