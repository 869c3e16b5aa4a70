// The admin plane of issue #18 through franz-go's kadm and raw kmsg requests:
//
//	admin-plane          DescribeTopicPartitions v0 paged by its cursor, ElectLeaders preferred and unclean,
//	                     DescribeQuorum, Alter/ListPartitionReassignments, ListConfigResources,
//	                     UpdateFeatures (validate-only, refused updates and their messages),
//	                     Describe/AlterClientQuotas
//	admin-broker-configs dynamic broker configs: IncrementalAlterConfigs and AlterConfigs on the node and
//	                     on the cluster default, their sources, their effect on a topic without an
//	                     override, delete, a read-only config refused
//	admin-log-dirs       DescribeLogDirs and AlterReplicaLogDirs moving a partition to another log dir
//	                     (the same dir on a one-dir broker) while a producer writes and a consumer reads:
//	                     no record lost or duplicated; a path that is not a log dir is refused
//
// Every expectation is what Apache Kafka 4.4 answers on one node.
package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	scenarios["admin-plane"] = adminPlane
	scenarios["admin-broker-configs"] = adminBrokerConfigs
	scenarios["admin-log-dirs"] = adminLogDirs
}

// result prints a line kafka-tools/log-dirs-run.mjs compares between the brokers.
func result(what string, v any) { fmt.Printf("RESULT %s: %v\n", what, v) }

func errName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Message
	}
	return strconv.Itoa(int(code))
}
func errOf(err error) string {
	if err == nil {
		return "NONE"
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}
func str(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func rawReq(cl *kgo.Client, r kmsg.Request) kmsg.Response {
	resp, err := cl.Request(ctxT(20*time.Second), r)
	must(err, fmt.Sprintf("request key %d", r.Key()))
	return resp
}
func nodeID(adm *kadm.Client) int32 {
	md, err := adm.BrokerMetadata(ctxT(15 * time.Second))
	must(err, "BrokerMetadata")
	eq(len(md.Brokers), 1, "brokers")
	return md.Brokers[0].NodeID
}

func adminPlane() {
	cl := client()
	adm := kadm.NewClient(cl)
	node := nodeID(adm)
	ta, tb := T+"-a", T+"-b"
	createTopic(adm, ta, 3, nil)
	createTopic(adm, tb, 2, nil)

	// DescribeTopicPartitions v0, two partitions per response, following NextCursor
	var pages []string
	var cursor *kmsg.DescribeTopicPartitionsRequestCursor
	for i := 0; i < 5; i++ {
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		req.ResponsePartitionLimit = 2
		req.Cursor = cursor
		for _, t := range []string{tb, ta} {
			rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
			rt.Topic = t
			req.Topics = append(req.Topics, rt)
		}
		resp := rawReq(cl, req).(*kmsg.DescribeTopicPartitionsResponse)
		var page []string
		for _, t := range resp.Topics {
			check(t.ErrorCode == 0, "DescribeTopicPartitions %s: %s", str(t.Topic), errName(t.ErrorCode))
			for _, p := range t.Partitions {
				eq([]any{p.LeaderID, p.Replicas, p.ISR, p.ErrorCode}, []any{node, []int32{node}, []int32{node}, int16(0)}, "DescribeTopicPartitions partition")
				page = append(page, fmt.Sprintf("%s-%d", strings.TrimPrefix(str(t.Topic), T), p.Partition))
			}
		}
		next := "end"
		if resp.NextCursor != nil {
			next = fmt.Sprintf("%s-%d", strings.TrimPrefix(resp.NextCursor.Topic, T), resp.NextCursor.Partition)
			cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: resp.NextCursor.Topic, Partition: resp.NextCursor.Partition}
		}
		pages = append(pages, strings.Join(page, ",")+" next "+next)
		if resp.NextCursor == nil {
			break
		}
	}
	eq(pages, []string{"-a-0,-a-1 next -a-2", "-a-2,-b-0 next -b-1", "-b-1 next end"}, "DescribeTopicPartitions pages")
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
	rt.Topic = T + "-missing"
	req.Topics = append(req.Topics, rt)
	missing := rawReq(cl, req).(*kmsg.DescribeTopicPartitionsResponse)
	eq(len(missing.Topics), 1, "DescribeTopicPartitions of an unknown topic: topics")
	eq(errName(missing.Topics[0].ErrorCode), "UNKNOWN_TOPIC_OR_PARTITION", "DescribeTopicPartitions of an unknown topic")

	// ElectLeaders: the only replica already leads
	elect := func(how kadm.ElectLeadersHow, s kadm.TopicsSet) []string {
		rs, err := adm.ElectLeaders(ctxT(20*time.Second), how, s)
		must(err, "ElectLeaders")
		var out []string
		for t, ps := range rs {
			for p, r := range ps {
				out = append(out, fmt.Sprintf("%s-%d %s", strings.TrimPrefix(t, T), p, errOf(r.Err)))
			}
		}
		sort.Strings(out)
		return out
	}
	set := func(t string, ps ...int32) kadm.TopicsSet { s := kadm.TopicsSet{}; s.Add(t, ps...); return s }
	eq(elect(kadm.ElectPreferredReplica, set(ta, 0, 1)), []string{"-a-0 ELECTION_NOT_NEEDED", "-a-1 ELECTION_NOT_NEEDED"}, "ElectLeaders preferred")
	eq(elect(kadm.ElectLiveReplica, set(tb, 1)), []string{"-b-1 ELECTION_NOT_NEEDED"}, "ElectLeaders unclean")
	eq(elect(kadm.ElectPreferredReplica, set(ta, 7)), []string{"-a-7 UNKNOWN_TOPIC_OR_PARTITION"}, "ElectLeaders of a partition that does not exist")
	// every partition (Topics null): Kafka answers only the partitions it elected, here none
	var ours []string
	for _, r := range elect(kadm.ElectPreferredReplica, nil) {
		if strings.HasPrefix(r, "-") {
			ours = append(ours, r)
		}
	}
	eq(ours, []string(nil), "ElectLeaders of every partition: results for this run's topics")

	// DescribeQuorum: one voter, the leader
	dq := kmsg.NewPtrDescribeQuorumRequest()
	dqt := kmsg.NewDescribeQuorumRequestTopic()
	dqt.Topic = "__cluster_metadata"
	dqt.Partitions = []kmsg.DescribeQuorumRequestTopicPartition{kmsg.NewDescribeQuorumRequestTopicPartition()}
	dq.Topics = append(dq.Topics, dqt)
	q := rawReq(cl, dq).(*kmsg.DescribeQuorumResponse)
	eq(errName(q.ErrorCode), "NONE", "DescribeQuorum error")
	eq(len(q.Topics), 1, "DescribeQuorum topics")
	eq([]any{q.Topics[0].Topic, len(q.Topics[0].Partitions)}, []any{"__cluster_metadata", 1}, "DescribeQuorum topic")
	qp := q.Topics[0].Partitions[0]
	eq(errName(qp.ErrorCode), "NONE", "DescribeQuorum partition error")
	check(qp.LeaderEpoch >= 1 && qp.HighWatermark > 0, "DescribeQuorum epoch %d high watermark %d", qp.LeaderEpoch, qp.HighWatermark)
	eq(len(qp.CurrentVoters), 1, "DescribeQuorum voters")
	v := qp.CurrentVoters[0]
	eq([]any{v.ReplicaID, qp.LeaderID, len(qp.Observers)}, []any{qp.LeaderID, v.ReplicaID, 0}, "DescribeQuorum voter is the leader, no observers")
	check(v.LogEndOffset >= qp.HighWatermark, "voter log end offset %d below the high watermark %d", v.LogEndOffset, qp.HighWatermark)
	if q.Version >= 2 {
		eq(len(q.Nodes), 1, "DescribeQuorum v2 nodes")
		eq(q.Nodes[0].NodeID, v.ReplicaID, "DescribeQuorum v2 node")
		check(len(q.Nodes[0].Listeners) >= 1, "DescribeQuorum v2: the voter has no listener")
	}
	result("DescribeQuorum", fmt.Sprintf("v%d voters=1 observers=0 leader-is-voter", q.Version))

	// Alter/ListPartitionReassignments: a move onto the only replica completes at once
	listRe := func() int {
		l, err := adm.ListPartitionReassignments(ctxT(15*time.Second), set(ta, 0, 1, 2))
		must(err, "ListPartitionReassignments")
		n := 0
		for _, ps := range l {
			n += len(ps)
		}
		return n
	}
	eq(listRe(), 0, "ListPartitionReassignments before")
	alter := func(p int32, replicas []int32) string {
		r := kmsg.NewPtrAlterPartitionAssignmentsRequest()
		rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
		rt.Topic = ta
		rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
		rp.Partition = p
		rp.Replicas = replicas
		rt.Partitions = append(rt.Partitions, rp)
		r.Topics = append(r.Topics, rt)
		resp := rawReq(cl, r).(*kmsg.AlterPartitionAssignmentsResponse)
		if resp.ErrorCode != 0 {
			return "top " + errName(resp.ErrorCode)
		}
		pr := resp.Topics[0].Partitions[0]
		return errName(pr.ErrorCode)
	}
	eq(alter(0, []int32{node}), "NONE", "AlterPartitionReassignments onto the current replica")
	eq(listRe(), 0, "ListPartitionReassignments after it")
	eq(alter(1, nil), "NO_REASSIGNMENT_IN_PROGRESS", "cancelling a reassignment that is not in progress")
	eq(alter(2, []int32{node + 100}), "INVALID_REPLICA_ASSIGNMENT", "a reassignment onto a broker that does not exist")

	// ListConfigResources (v1: resource types)
	lc, err := adm.ListConfigResources(ctxT(15*time.Second), kadm.ConfigResourceType(kmsg.ConfigResourceTypeTopic))
	must(err, "ListConfigResources")
	must(lc.Err, "ListConfigResources")
	names := map[string]bool{}
	for _, r := range lc.Resources {
		names[r.Name] = true
		eq(r.Type, kadm.ConfigResourceType(kmsg.ConfigResourceTypeTopic), "ListConfigResources topic type")
	}
	check(names[ta] && names[tb], "ListConfigResources topics lacks %s or %s", ta, tb)
	lb, err := adm.ListConfigResources(ctxT(15*time.Second), kadm.ConfigResourceType(kmsg.ConfigResourceTypeBroker))
	must(err, "ListConfigResources broker")
	eq(lb.Names(), []string{strconv.Itoa(int(node))}, "ListConfigResources brokers")

	// UpdateFeatures
	feature := func(validate bool, name string, level int16, upgradeType int8) string {
		r := kmsg.NewPtrUpdateFeaturesRequest()
		r.TimeoutMillis = 15000
		r.ValidateOnly = validate
		u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		u.Feature, u.MaxVersionLevel, u.UpgradeType, u.AllowDowngrade = name, level, upgradeType, upgradeType > 1
		r.FeatureUpdates = append(r.FeatureUpdates, u)
		resp := rawReq(cl, r).(*kmsg.UpdateFeaturesResponse)
		out := errName(resp.ErrorCode)
		if resp.ErrorCode != 0 {
			out += ": " + str(resp.ErrorMessage)
		}
		for _, res := range resp.Results {
			if res.ErrorCode != 0 {
				out += " / " + res.Feature + " " + errName(res.ErrorCode) + ": " + str(res.ErrorMessage)
			}
		}
		return out
	}
	eq(feature(true, "group.version", 0, 2), "NONE", "UpdateFeatures validate-only safe downgrade group.version=0")
	eq(feature(true, "group.version", 1, 1), "NONE", "UpdateFeatures validate-only upgrade group.version=1")
	const failed = "INVALID_UPDATE_VERSION: The update failed for all features since the following feature had an error: "
	foo := feature(false, "foo", 1, 1)
	eq(foo, fmt.Sprintf("%sInvalid update version 1 for feature foo. Local controller %d does not support this feature.", failed, node), "UpdateFeatures foo=1")
	two := feature(false, "group.version", 2, 1)
	eq(two, fmt.Sprintf("%sInvalid update version 2 for feature group.version. Local controller %d only supports versions 0-1", failed, node), "UpdateFeatures group.version=2")
	down := feature(false, "group.version", 0, 1)
	result("UpdateFeatures group.version=0 as an upgrade", down)
	eq(down, failed+"Invalid update version 0 for feature group.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.", "UpdateFeatures group.version=0 as an upgrade")
	result("UpdateFeatures foo=1", foo)
	result("UpdateFeatures group.version=2", two)
	api := rawReq(cl, kmsg.NewPtrApiVersionsRequest()).(*kmsg.ApiVersionsResponse)
	finalized := map[string]int16{}
	for _, f := range api.FinalizedFeatures {
		finalized[f.Name] = f.MaxVersionLevel
	}
	eq(finalized["group.version"], int16(1), "group.version after the validate-only downgrade")

	// Describe/AlterClientQuotas on a client id of this run
	C := T + "-client"
	entity := kadm.ClientQuotaEntity{{Type: "client-id", Name: &C}}
	alterQ := func(validate bool, ops ...kadm.AlterClientQuotaOp) string {
		f := adm.AlterClientQuotas
		if validate {
			f = adm.ValidateAlterClientQuotas
		}
		rs, err := f(ctxT(15*time.Second), []kadm.AlterClientQuotaEntry{{Entity: entity, Ops: ops}})
		must(err, "AlterClientQuotas")
		eq(len(rs), 1, "AlterClientQuotas results")
		if rs[0].Err != nil {
			return errOf(rs[0].Err) + ": " + rs[0].ErrMessage
		}
		return "NONE"
	}
	describeQ := func() string {
		qs, err := adm.DescribeClientQuotas(ctxT(15*time.Second), true, []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchName: &C, MatchType: 0}})
		must(err, "DescribeClientQuotas")
		var out []string
		for _, q := range qs {
			var vs []string
			for _, v := range q.Values {
				vs = append(vs, fmt.Sprintf("%s=%g", v.Key, v.Value))
			}
			sort.Strings(vs)
			out = append(out, q.Entity.String()+" "+strings.Join(vs, ","))
		}
		return strings.Join(out, "; ")
	}
	eq(alterQ(true, kadm.AlterClientQuotaOp{Key: "producer_byte_rate", Value: 500}), "NONE", "AlterClientQuotas validate-only")
	eq(describeQ(), "", "DescribeClientQuotas after validate-only")
	eq(alterQ(false, kadm.AlterClientQuotaOp{Key: "producer_byte_rate", Value: 500}, kadm.AlterClientQuotaOp{Key: "consumer_byte_rate", Value: 600}), "NONE", "AlterClientQuotas")
	want := fmt.Sprintf("{client-id=%s} consumer_byte_rate=600,producer_byte_rate=500", C)
	eventually(describeQ, want, "DescribeClientQuotas")
	eq(alterQ(false, kadm.AlterClientQuotaOp{Key: "producer_byte_rate", Remove: true}), "NONE", "AlterClientQuotas remove")
	eventually(describeQ, fmt.Sprintf("{client-id=%s} consumer_byte_rate=600", C), "DescribeClientQuotas after remove")
	anyClient, err := adm.DescribeClientQuotas(ctxT(15*time.Second), false, []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchType: 2}})
	must(err, "DescribeClientQuotas any client-id")
	found := false
	for _, q := range anyClient {
		found = found || q.Entity.String() == "{client-id="+C+"}"
	}
	check(found, "DescribeClientQuotas of any client-id lacks %s: %v", C, anyClient)
	bad := alterQ(false, kadm.AlterClientQuotaOp{Key: "no_such_quota", Value: 1})
	result("AlterClientQuotas unknown key", bad)
	eq(bad, "INVALID_REQUEST: Invalid configuration key no_such_quota", "AlterClientQuotas unknown key")
	eq(alterQ(false, kadm.AlterClientQuotaOp{Key: "consumer_byte_rate", Remove: true}), "NONE", "AlterClientQuotas remove the last")
	eventually(describeQ, "", "DescribeClientQuotas after removing the last")
}
