package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func franzAdminScenarios() []scenario {
	return []scenario{
		{"franz.admin.create_topics", franzCreateTopics},
		{"franz.admin.create_topics_errors", franzCreateTopicsErrors},
		{"franz.admin.list_topics", franzListTopics},
		{"franz.admin.delete_topics", franzDeleteTopics},
		{"franz.admin.create_partitions", franzCreatePartitions},
		{"franz.admin.describe_configs", franzDescribeConfigs},
		{"franz.admin.alter_configs", franzAlterConfigs},
		{"franz.admin.delete_records", franzDeleteRecords},
		{"franz.admin.list_offsets", franzListOffsets},
		{"franz.admin.cluster", franzCluster},
		{"franz.admin.log_dirs", franzLogDirs},
		{"franz.admin.elect_leaders", franzElectLeaders},
		{"franz.admin.groups", franzGroups},
		{"franz.admin.group_deletes", franzGroupDeletes},
	}
}

// describedKeys are the standard topic configs the scenarios look at.
var describedKeys = []string{
	"cleanup.policy", "retention.ms", "segment.bytes", "max.message.bytes",
	"compression.type", "message.timestamp.type", "min.insync.replicas",
}

func createObs(r kadm.CreateTopicResponse, err error) M {
	if err != nil && r.Topic == "" {
		return M{"error": errName(err)}
	}
	return M{"error": errName(r.Err), "partitions": r.NumPartitions, "replication_factor": r.ReplicationFactor}
}

func configObs(c kadm.Config) M {
	return M{"value": strp(c.Value), "source": c.Source.String(), "sensitive": c.Sensitive}
}

func franzCreateTopics(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 20*time.Second)
	defer cancel()
	obs := M{}

	rs, err := adm.CreateTopics(ctx, 3, 1, nil, s.N("plain"))
	obs["plain"] = createObs(rs[s.N("plain")], err)

	withCfg := s.N("configs")
	rs, err = adm.CreateTopics(ctx, 2, 1, map[string]*string{
		"cleanup.policy": sp("compact"), "retention.ms": sp("86400000"), "max.message.bytes": sp("2048"),
	}, withCfg)
	o := createObs(rs[withCfg], err)
	cfgs := M{}
	for _, k := range describedKeys {
		if c, ok := rs[withCfg].Configs[k]; ok {
			cfgs[k] = configObs(c)
		}
	}
	o["configs"] = cfgs
	obs["with_configs"] = o

	rs, err = adm.CreateTopics(ctx, -1, -1, nil, s.N("defaults"))
	obs["broker_defaults"] = createObs(rs[s.N("defaults")], err)

	rs, err = adm.ValidateCreateTopics(ctx, 4, 1, nil, s.N("validate"))
	obs["validate_only"] = createObs(rs[s.N("validate")], err)

	for _, t := range []string{"plain", "configs", "defaults"} {
		if err := waitTopic(s, adm, s.N(t), map[string]int{"plain": 3, "configs": 2, "defaults": 1}[t]); err != nil {
			return nil, err
		}
	}
	td, err := adm.ListTopics(ctx, s.N("plain"), s.N("configs"), s.N("defaults"), s.N("validate"))
	if err != nil {
		obs["listed"] = M{"error": errName(err)}
	} else {
		listed := M{}
		for _, d := range td {
			listed[short(s, d.Topic)] = M{"error": errName(d.Err), "partitions": len(d.Partitions)}
		}
		obs["listed"] = listed
	}

	rs, err = adm.CreateTopics(ctx, 1, 1, nil, s.N("plain"))
	obs["already_exists"] = createObs(rs[s.N("plain")], err)
	return obs, nil
}

func franzCreateTopicsErrors(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 20*time.Second)
	defer cancel()
	obs := M{}
	try := func(key string, p int32, rf int16, cfg map[string]*string) {
		t := s.N(key)
		rs, err := adm.CreateTopics(ctx, p, rf, cfg, t)
		obs[key] = createObs(rs[t], err)
	}
	try("partitions-0", 0, 1, nil)
	try("partitions-minus-2", -2, 1, nil)
	try("replication-3", 1, 3, nil)
	try("replication-0", 1, 0, nil)
	try("invalid-config-value", 1, 1, map[string]*string{"retention.ms": sp("not-a-number")})
	try("unknown-config", 1, 1, map[string]*string{"no.such.config": sp("1")})
	try("invalid-cleanup-policy", 1, 1, map[string]*string{"cleanup.policy": sp("sometimes")})
	// Topic names Kafka refuses.
	rs, err := adm.CreateTopics(ctx, 1, 1, nil, s.N("bad/name"))
	obs["invalid-name"] = createObs(rs[s.N("bad/name")], err)
	// None of them exists afterwards.
	var names []string
	for k := range obs {
		names = append(names, s.N(k))
	}
	td, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, err
	}
	existing := []string{}
	for _, d := range td {
		if d.Err == nil {
			existing = append(existing, short(s, d.Topic))
		}
	}
	sort.Strings(existing)
	obs["existing_after"] = existing
	return obs, nil
}

func partitionDetailsObs(d kadm.TopicDetail) M {
	ps := M{}
	for p, pd := range d.Partitions {
		ps[fmt.Sprint(p)] = M{
			"error":    errName(pd.Err),
			"leader":   pd.Leader,
			"replicas": sortedInt32s(pd.Replicas),
			"isr":      sortedInt32s(pd.ISR),
			"offline":  sortedInt32s(pd.OfflineReplicas),
		}
	}
	return M{"error": errName(d.Err), "internal": d.IsInternal, "partitions": ps}
}

func franzListTopics(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	for i, t := range []string{"a", "b", "c"} {
		if err := createTopic(s, adm, s.N(t), int32(i+1), nil); err != nil {
			return nil, err
		}
	}
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	all, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	mine := M{}
	for _, d := range all {
		if hasPrefix(s, d.Topic) {
			mine[short(s, d.Topic)] = partitionDetailsObs(d)
		}
	}
	some, err := adm.ListTopics(ctx, s.N("b"), s.N("unknown"))
	if err != nil {
		return nil, err
	}
	named := M{}
	for _, d := range some {
		named[short(s, d.Topic)] = partitionDetailsObs(d)
	}
	return M{"all_filtered": mine, "named": named}, nil
}

func franzDeleteTopics(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	if err := createTopic(s, adm, s.N("doomed"), 2, nil); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	rs, err := adm.DeleteTopics(ctx, s.N("doomed"), s.N("unknown"))
	if err != nil {
		return nil, err
	}
	res := M{}
	for _, r := range rs {
		res[short(s, r.Topic)] = errName(r.Err)
	}
	gone := waitFor(s.Ctx, 10*time.Second, func() bool {
		td, err := adm.ListTopics(ctx, s.N("doomed"))
		if err != nil {
			return false
		}
		d, ok := td[s.N("doomed")]
		return !ok || d.Err != nil
	})
	td, _ := adm.ListTopics(ctx, s.N("doomed"))
	var after any
	if d, ok := td[s.N("doomed")]; ok {
		after = errName(d.Err)
	}
	_, again := adm.DeleteTopic(ctx, s.N("doomed"))
	return M{"deleted": res, "gone": gone, "metadata_after": after, "delete_again": errName(again)}, nil
}

func partitionsResp(s *S, rs kadm.CreatePartitionsResponses, err error, topic string) any {
	if err != nil {
		return M{"error": errName(err)}
	}
	r, ok := rs[topic]
	if !ok {
		return M{"missing": true}
	}
	return M{"error": errName(r.Err)}
}

func franzCreatePartitions(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 20*time.Second)
	defer cancel()
	obs := M{}
	count := func() any {
		td, err := adm.ListTopics(ctx, topic)
		if err != nil {
			return errName(err)
		}
		return len(td[topic].Partitions)
	}
	rs, err := adm.ValidateCreatePartitions(ctx, 5, topic)
	obs["validate_add_5"] = partitionsResp(s, rs, err, topic)
	rs, err = adm.CreatePartitions(ctx, 2, topic)
	obs["grow_add_2"] = partitionsResp(s, rs, err, topic)
	if err := waitTopic(s, adm, topic, 3); err != nil {
		obs["count_after_grow"] = count()
	} else {
		obs["count_after_grow"] = 3
	}
	rs, err = adm.UpdatePartitions(ctx, 2, topic)
	obs["shrink_to_2"] = partitionsResp(s, rs, err, topic)
	rs, err = adm.UpdatePartitions(ctx, 3, topic)
	obs["same_3"] = partitionsResp(s, rs, err, topic)
	rs, err = adm.UpdatePartitions(ctx, 4, s.N("unknown"))
	obs["unknown_topic"] = partitionsResp(s, rs, err, s.N("unknown"))
	obs["count_after"] = count()
	// New partitions take records.
	if err := produceSimple(s, topic, 3, 3, "v", 0); err != nil {
		obs["produce_error"] = errName(err)
	}
	obs["offsets"] = partitionOffsets(s, adm, topic)
	return obs, nil
}

func describeTopicConfigs(s *S, adm *kadm.Client, topics ...string) any {
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil && len(rcs) == 0 {
		return M{"error": errName(err)}
	}
	out := M{}
	for _, rc := range rcs {
		cfgs := M{}
		want := map[string]bool{}
		for _, k := range describedKeys {
			want[k] = true
		}
		for _, c := range rc.Configs {
			if want[c.Key] {
				cfgs[c.Key] = configObs(c)
			}
		}
		out[short(s, rc.Name)] = M{"error": errName(rc.Err), "configs": cfgs}
	}
	return out
}

func franzDescribeConfigs(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	if err := createTopic(s, adm, s.N("defaults"), 1, map[string]string{"retention.ms": "604800000"}); err != nil {
		return nil, err
	}
	if err := createTopic(s, adm, s.N("set"), 1, map[string]string{
		"cleanup.policy": "compact", "retention.ms": "3600000", "segment.bytes": "1048576",
		"max.message.bytes": "4096", "compression.type": "zstd", "message.timestamp.type": "LogAppendTime",
	}); err != nil {
		return nil, err
	}
	// min.insync.replicas set at creation, observed rather than required.
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	rs, err := adm.CreateTopics(ctx, 1, 1, map[string]*string{"min.insync.replicas": sp("1"), "retention.ms": sp("-1")}, s.N("min-isr"))
	obs := M{"create_min_isr": createObs(rs[s.N("min-isr")], err)}
	topics := []string{s.N("defaults"), s.N("set")}
	if err == nil && rs[s.N("min-isr")].Err == nil {
		if err := waitTopic(s, adm, s.N("min-isr"), 1); err != nil {
			return nil, err
		}
		topics = append(topics, s.N("min-isr"))
	}
	obs["topics"] = describeTopicConfigs(s, adm, topics...)
	obs["unknown"] = describeTopicConfigs(s, adm, s.N("unknown"))
	return obs, nil
}

func alterObs(s *S, rs kadm.AlterConfigsResponses, err error) any {
	if err != nil && len(rs) == 0 {
		return M{"error": errName(err)}
	}
	out := M{}
	for _, r := range rs {
		out[short(s, r.Name)] = errName(r.Err)
	}
	return out
}

func franzAlterConfigs(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 20*time.Second)
	defer cancel()
	obs := M{}
	step := func(key string, cfgs []kadm.AlterConfig, topics ...string) {
		rs, err := adm.AlterTopicConfigs(ctx, cfgs, topics...)
		ok := err == nil && len(rs) > 0
		for _, r := range rs {
			ok = ok && r.Err == nil
		}
		if ok && topics[0] == topic {
			// Kafka applies altered configs asynchronously: wait (bounded)
			// until a describe shows them before observing.
			var ops []cfgOp
			for _, c := range cfgs {
				v := ""
				if c.Value != nil {
					v = *c.Value
				}
				ops = append(ops, cfgOp{c.Name, int(c.Op), v})
			}
			waitFor(s.Ctx, 5*time.Second, func() bool {
				d, _ := describeTopicConfigs(s, adm, topic).(M)
				t, _ := d["."].(M)
				c, _ := t["configs"].(M)
				return cfgReflects(c, ops, "DYNAMIC_TOPIC_CONFIG")
			})
		}
		obs[key] = M{"result": alterObs(s, rs, err), "described": describeTopicConfigs(s, adm, topic)}
	}
	step("1_set", []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: sp("1000000")},
		{Op: kadm.SetConfig, Name: "max.message.bytes", Value: sp("5000")},
	}, topic)
	step("2_delete", []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "max.message.bytes"}}, topic)
	step("3_append", []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: sp("compact")}}, topic)
	step("4_subtract", []kadm.AlterConfig{{Op: kadm.SubtractConfig, Name: "cleanup.policy", Value: sp("delete")}}, topic)
	step("5_invalid_value", []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: sp("soon")}}, topic)
	step("6_unknown_config", []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "no.such.config", Value: sp("1")}}, topic)
	step("7_unknown_topic", []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: sp("1000")}}, s.N("unknown"))
	rs, err := adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: sp("42")}}, topic)
	obs["8_validate_only"] = M{"result": alterObs(s, rs, err), "described": describeTopicConfigs(s, adm, topic)}
	return obs, nil
}

func deleteRecordsObs(s *S, rs kadm.DeleteRecordsResponses, err error) any {
	if err != nil && len(rs) == 0 {
		return M{"error": errName(err)}
	}
	out := M{}
	for _, r := range rs.Sorted() {
		o := M{"error": errName(r.Err)}
		if r.Err == nil {
			o["low_watermark"] = r.LowWatermark
		}
		out[fmt.Sprintf("%s/%d", short(s, r.Topic), r.Partition)] = o
	}
	if err != nil {
		out["error"] = errName(err)
	}
	return out
}

func franzDeleteRecords(s *S) (any, error) {
	adm, topic, err := topicWithRecords(s, 2, 20)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	obs := M{}
	del := func(key string, os kadm.Offsets) {
		rs, err := adm.DeleteRecords(ctx, os)
		obs[key] = deleteRecordsObs(s, rs, err)
	}
	var os kadm.Offsets
	os.AddOffset(topic, 0, 4, -1)
	os.AddOffset(topic, 1, 10, -1)
	del("valid", os)
	obs["after_valid"] = partitionOffsets(s, adm, topic)
	os = nil
	os.AddOffset(topic, 0, 50, -1)
	del("beyond_hwm", os)
	os = nil
	os.AddOffset(topic, 0, 2, -1)
	del("below_start", os)
	os = nil
	os.AddOffset(topic, 1, -1, -1)
	del("to_hwm", os)
	obs["after"] = partitionOffsets(s, adm, topic)
	// The consumer starts at the new log start.
	recs, err := readBack(s, topic, 1, 6)
	if err != nil {
		obs["read_error"] = err.Error()
	} else {
		obs["first_read_offset"] = recs[0].Offset
	}
	return obs, nil
}

func franzListOffsets(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic, empty := s.N(""), s.N("empty")
	if err := createTopic(s, adm, topic, 1, nil); err != nil {
		return nil, err
	}
	if err := createTopic(s, adm, empty, 1, nil); err != nil {
		return nil, err
	}
	cl, err := franzErrProducer(s)
	if err != nil {
		return nil, err
	}
	var recs []*kgo.Record
	for i, ts := range []int64{1000, 5000, 2000, 3000, 5000, 4000} {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprint(i)), Timestamp: time.UnixMilli(baseTS + ts)})
	}
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return nil, err
	}
	listed := func(lo kadm.ListedOffsets, err error) any {
		if err != nil {
			return M{"error": errName(err)}
		}
		out := M{}
		for t, ps := range lo {
			for p, o := range ps {
				e := M{"error": errName(o.Err)}
				if o.Err == nil {
					e["offset"] = o.Offset
					e["timestamp"] = o.Timestamp
				}
				out[fmt.Sprintf("%s/%d", short(s, t), p)] = e
			}
		}
		return out
	}
	obs := M{}
	lo, err := adm.ListStartOffsets(ctx, topic, empty)
	obs["start"] = listed(lo, err)
	lo, err = adm.ListEndOffsets(ctx, topic, empty)
	obs["end"] = listed(lo, err)
	lo, err = adm.ListCommittedOffsets(ctx, topic, empty)
	obs["committed_isolation"] = listed(lo, err)
	lo, err = adm.ListMaxTimestampOffsets(ctx, topic, empty)
	obs["max_timestamp"] = listed(lo, err)
	for _, ms := range []int64{0, 1000, 2500, 5000, 5001} {
		lo, err = adm.ListOffsetsAfterMilli(ctx, baseTS+ms, topic, empty)
		obs[fmt.Sprintf("after_milli_base+%d", ms)] = listed(lo, err)
	}
	lo, err = adm.ListEndOffsets(ctx, s.N("unknown"))
	obs["unknown_topic"] = listed(lo, err)
	return obs, nil
}

func franzCluster(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int32
	for _, b := range md.Brokers {
		ids = append(ids, b.NodeID)
	}
	obs := M{"metadata": M{"controller": md.Controller, "brokers": sortedInt32s(ids), "has_cluster_id": md.Cluster != ""}}

	cl, err := newKgo(s)
	if err != nil {
		return nil, err
	}
	req := kmsg.NewPtrDescribeClusterRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		obs["describe_cluster"] = M{"error": errName(err)}
	} else {
		var bs []any
		sort.Slice(resp.Brokers, func(i, j int) bool { return resp.Brokers[i].NodeID < resp.Brokers[j].NodeID })
		for _, b := range resp.Brokers {
			bs = append(bs, M{"node_id": b.NodeID, "rack": strp(b.Rack), "fenced": b.IsFenced})
		}
		obs["describe_cluster"] = M{
			"error":                       errName(errCode(resp.ErrorCode)),
			"controller":                  resp.ControllerID,
			"brokers":                     bs,
			"has_cluster_id":              resp.ClusterID != "",
			"cluster_id_matches_metadata": resp.ClusterID == md.Cluster,
		}
	}
	bd, err := adm.ListBrokers(ctx)
	if err == nil {
		var ids []int32
		for _, b := range bd {
			ids = append(ids, b.NodeID)
		}
		obs["list_brokers"] = sortedInt32s(ids)
	} else {
		obs["list_brokers"] = M{"error": errName(err)}
	}
	return obs, nil
}

func franzLogDirs(s *S) (any, error) {
	adm, topic, err := topicWithRecords(s, 2, 10)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	set := kadm.TopicsSet{}
	set.Add(topic, 0, 1, 7)
	all, err := adm.DescribeAllLogDirs(ctx, set)
	if err != nil && len(all) == 0 {
		return M{"error": errName(err)}, nil
	}
	brokers := M{}
	for b, dirs := range all {
		var ds []any
		for _, d := range dirs.Sorted() {
			parts := []any{}
			for _, p := range d.Topics.Sorted() {
				parts = append(parts, M{
					"topic":     short(s, p.Topic),
					"partition": p.Partition,
					"size_gt_0": p.Size > 0,
					"future":    p.IsFuture,
				})
			}
			ds = append(ds, M{"error": errName(d.Err), "partitions": parts})
		}
		brokers[fmt.Sprint(b)] = ds
	}
	return M{"brokers": brokers}, nil
}

func franzElectLeaders(s *S) (any, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	topic := s.N("")
	if err := createTopic(s, adm, topic, 2, nil); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	obs := M{}
	elect := func(key string, how kadm.ElectLeadersHow, set kadm.TopicsSet) {
		rs, err := adm.ElectLeaders(ctx, how, set)
		if err != nil && len(rs) == 0 {
			obs[key] = M{"error": errName(err)}
			return
		}
		out := M{}
		for t, ps := range rs {
			if !hasPrefix(s, t) {
				continue
			}
			for p, r := range ps {
				out[fmt.Sprintf("%s/%d", short(s, t), p)] = errName(r.Err)
			}
		}
		obs[key] = out
	}
	set := kadm.TopicsSet{}
	set.Add(topic, 0, 1)
	elect("preferred", kadm.ElectPreferredReplica, set)
	elect("unclean", kadm.ElectLiveReplica, set)
	set = kadm.TopicsSet{}
	set.Add(topic, 5)
	set.Add(s.N("unknown"), 0)
	elect("unknown", kadm.ElectPreferredReplica, set)
	return obs, nil
}

// liveMember starts a one-member group on topic and waits until it owns
// every partition and has consumed n records, then commits them.
func liveMember(s *S, adm *kadm.Client, group, topic string, parts int32, n int) (*kgoMember, error) {
	m, err := startKgoMember(s, group, topic, kgo.Balancers(kgo.RangeBalancer()))
	if err != nil {
		return nil, err
	}
	recs, _ := consumeN(s, m.cl, n, 15*time.Second)
	if len(recs) < n {
		return nil, fmt.Errorf("live member consumed %d of %d records", len(recs), n)
	}
	if !waitFor(s.Ctx, 10*time.Second, func() bool {
		return len(m.ownedList()) == int(parts) && describeGroup(s, adm, group)["state"] == "Stable"
	}) {
		return nil, fmt.Errorf("live group did not become stable")
	}
	ctx, cancel := withTimeout(s.Ctx, 10*time.Second)
	defer cancel()
	if err := m.cl.CommitUncommittedOffsets(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// groupFixture is where the group scenarios start: a topic of 2 partitions
// with n records each, a one-member group that consumed and committed them,
// and the names of an empty and an unknown group.
type groupFixture struct {
	adm                         *kadm.Client
	topic, live, empty, unknown string
	member                      *kgoMember
}

func newGroupFixture(s *S, n int) (*groupFixture, error) {
	adm, err := newAdmin(s)
	if err != nil {
		return nil, err
	}
	f := &groupFixture{adm: adm, topic: s.N(""), live: s.N("live"), empty: s.N("empty"),
		unknown: s.N("unknown")}
	if err := createTopic(s, adm, f.topic, 2, nil); err != nil {
		return nil, err
	}
	if err := produceSimple(s, f.topic, 2, n, "v", 0); err != nil {
		return nil, err
	}
	if f.member, err = liveMember(s, adm, f.live, f.topic, 2, n); err != nil {
		return nil, err
	}
	return f, nil
}

func offsetResponsesObs(s *S, os kadm.OffsetResponses, err error) any {
	if err != nil {
		return M{"error": errName(err)}
	}
	out := M{}
	for _, o := range os.Sorted() {
		if !hasPrefix(s, o.Topic) {
			continue
		}
		out[fmt.Sprintf("%s/%d", short(s, o.Topic), o.Partition)] = M{
			"offset": o.At, "metadata": normMeta(o.Metadata), "error": errName(o.Err),
		}
	}
	return out
}

func franzGroups(s *S) (any, error) {
	f, err := newGroupFixture(s, 6)
	if err != nil {
		return nil, err
	}
	adm, topic, live, empty, unknown, m := f.adm, f.topic, f.live, f.empty, f.unknown, f.member
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	obs := M{}
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: topic, Partition: 0, At: 1, LeaderEpoch: -1, Metadata: "m0"})
	os.Add(kadm.Offset{Topic: topic, Partition: 1, At: 2, LeaderEpoch: -1})
	rs, err := adm.CommitOffsets(ctx, empty, os)
	obs["commit_empty_group"] = offsetResponsesObs(s, rs, err)
	os = kadm.Offsets{}
	os.AddOffset(topic, 0, 0, -1)
	rs, err = adm.CommitOffsets(ctx, live, os)
	obs["commit_live_group"] = offsetResponsesObs(s, rs, err)

	listGroups := func(states ...string) any {
		lg, err := adm.ListGroups(ctx, states...)
		if err != nil {
			return M{"error": errName(err)}
		}
		out := M{}
		for _, g := range lg.Sorted() {
			if hasPrefix(s, g.Group) {
				out[short(s, g.Group)] = M{"state": g.State, "protocol_type": g.ProtocolType,
					"group_type": g.GroupType, "coordinator": g.Coordinator}
			}
		}
		return out
	}
	obs["list"] = listGroups()
	obs["list_empty"] = listGroups("Empty")
	obs["list_stable"] = listGroups("Stable")

	described := M{}
	for _, g := range []string{live, empty, unknown} {
		described[short(s, g)] = describeGroup(s, adm, g)
	}
	obs["describe"] = described

	fetched := M{}
	for _, g := range []string{live, empty, unknown} {
		os, err := adm.FetchOffsets(ctx, g)
		fetched[short(s, g)] = offsetResponsesObs(s, os, err)
	}
	obs["fetch_offsets"] = fetched

	lags, err := adm.Lag(ctx, live, empty, unknown)
	if err != nil {
		obs["lag"] = M{"error": errName(err)}
	} else {
		lo := M{}
		for _, l := range lags.Sorted() {
			parts := M{}
			for _, ml := range l.Lag.Sorted() {
				if !hasPrefix(s, ml.Topic) {
					continue
				}
				parts[fmt.Sprintf("%s/%d", short(s, ml.Topic), ml.Partition)] = M{
					"lag": ml.Lag, "commit": ml.Commit.At, "end": ml.End.Offset,
					"has_member": !ml.IsEmpty(), "error": errName(ml.Err),
				}
			}
			lo[short(s, l.Group)] = M{"state": l.State, "describe_error": errName(l.DescribeErr),
				"fetch_error": errName(l.FetchErr), "partitions": parts, "total": l.Lag.Total()}
		}
		obs["lag"] = lo
	}
	closeKgo(m.cl)
	obs["after_close"] = describeGroup(s, adm, live)
	return obs, nil
}

func franzGroupDeletes(s *S) (any, error) {
	f, err := newGroupFixture(s, 4)
	if err != nil {
		return nil, err
	}
	adm, topic, live, empty, unknown, m := f.adm, f.topic, f.live, f.empty, f.unknown, f.member
	ctx, cancel := withTimeout(s.Ctx, 15*time.Second)
	defer cancel()
	os := kadm.Offsets{}
	os.AddOffset(topic, 0, 1, -1)
	os.AddOffset(topic, 1, 2, -1)
	if err := adm.CommitAllOffsets(ctx, empty, os); err != nil {
		return nil, err
	}
	obs := M{}
	delOffsets := func(g string, ps ...int32) any {
		set := kadm.TopicsSet{}
		set.Add(topic, ps...)
		rs, err := adm.DeleteOffsets(ctx, g, set)
		if err != nil {
			return M{"error": errName(err)}
		}
		out := M{}
		for t, pe := range rs {
			for p, e := range pe {
				out[fmt.Sprintf("%s/%d", short(s, t), p)] = errName(e)
			}
		}
		return out
	}
	obs["delete_offsets_empty"] = delOffsets(empty, 0)
	fo, err := adm.FetchOffsets(ctx, empty)
	obs["after_delete_offsets_empty"] = offsetResponsesObs(s, fo, err)
	obs["delete_offsets_live"] = delOffsets(live, 0, 1)
	obs["delete_offsets_unknown_group"] = delOffsets(unknown, 0)

	rs, err := adm.DeleteGroups(ctx, live, empty, unknown)
	if err != nil {
		obs["delete_groups"] = M{"error": errName(err)}
	} else {
		out := M{}
		for _, r := range rs.Sorted() {
			out[short(s, r.Group)] = errName(r.Err)
		}
		obs["delete_groups"] = out
	}
	lg, err := adm.ListGroups(ctx)
	if err == nil {
		var names []string
		for _, g := range lg.Sorted() {
			if hasPrefix(s, g.Group) {
				names = append(names, short(s, g.Group))
			}
		}
		obs["listed_after"] = names
	}
	closeKgo(m.cl)
	_, err = adm.DeleteGroup(ctx, live)
	obs["delete_live_after_close"] = errName(err)
	return obs, nil
}
