// confluent-kafka-go (librdkafka through cgo) scenario program for test-compat/run.mjs.
//
//	compat-confluent-kafka-go --bootstrap HOST:PORT --scenario NAME --topic T
//
// Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
// The module links the librdkafka static library it bundles (librdkafka_glibc_linux_amd64.a), so
// the librdkafka version is the module's, not the system's. Partition reads use Assign() with
// auto-commit off (no coordinator traffic); group scenarios subscribe with a rebalance callback.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

var (
	bootstrap, T string
	closers      []func()
)

type failure string

func check(c bool, format string, args ...any) {
	if !c {
		panic(failure(fmt.Sprintf(format, args...)))
	}
}
func must(err error, what string) {
	if err != nil {
		panic(failure(fmt.Sprintf("%s: %v", what, err)))
	}
}
func eq(actual, expected any, what string) {
	if !reflect.DeepEqual(actual, expected) {
		a, e := fmt.Sprint(actual), fmt.Sprint(expected)
		if len(a) > 200 {
			a = a[:200]
		}
		if len(e) > 200 {
			e = e[:200]
		}
		panic(failure(fmt.Sprintf("%s: expected %s, got %s", what, e, a)))
	}
}

// eventually: Kafka applies config changes through its metadata log, so a describe may lag an alter.
func eventually(f func() string, expected, what string) {
	end := time.Now().Add(10 * time.Second)
	got := f()
	for got != expected && time.Now().Before(end) {
		time.Sleep(200 * time.Millisecond)
		got = f()
	}
	eq(got, expected, what)
}
func until(what string, f func() bool) {
	end := time.Now().Add(15 * time.Second)
	for !f() {
		check(time.Now().Before(end), "timed out waiting for %s", what)
		time.Sleep(200 * time.Millisecond)
	}
}
func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	closers = append(closers, cancel)
	return c
}

func conf(extra kafka.ConfigMap) *kafka.ConfigMap {
	c := kafka.ConfigMap{"bootstrap.servers": bootstrap, "client.id": "compat-confluent-kafka-go", "log_level": 3}
	for k, v := range extra {
		c[k] = v
	}
	return &c
}

var adminClient *kafka.AdminClient

func admin() *kafka.AdminClient {
	if adminClient == nil {
		a, err := kafka.NewAdminClient(conf(nil))
		must(err, "NewAdminClient")
		adminClient = a
		closers = append(closers, a.Close)
	}
	return adminClient
}

func topicMeta(topic string) *kafka.TopicMetadata {
	md, err := admin().GetMetadata(&topic, false, 5000)
	if err != nil {
		return nil
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() != kafka.ErrNoError {
		return nil
	}
	return &t
}

func createTopic(topic string, partitions int, config map[string]string) {
	res, err := admin().CreateTopics(ctx(), []kafka.TopicSpecification{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1, Config: config}},
		kafka.SetAdminOperationTimeout(15*time.Second))
	must(err, "CreateTopics")
	check(res[0].Error.Code() == kafka.ErrNoError, "CreateTopics %s: %v", topic, res[0].Error)
	until(topic+" has leaders", func() bool {
		t := topicMeta(topic)
		if t == nil || len(t.Partitions) != partitions {
			return false
		}
		for _, p := range t.Partitions {
			if p.Leader < 0 {
				return false
			}
		}
		return true
	})
}

func producer(extra kafka.ConfigMap) *kafka.Producer {
	c := kafka.ConfigMap{"linger.ms": 5}
	for k, v := range extra {
		c[k] = v
	}
	p, err := kafka.NewProducer(conf(c))
	must(err, "NewProducer")
	closers = append(closers, p.Close)
	return p
}

type rec struct {
	key, value []byte
	headers    []kafka.Header
	ts         time.Time
}

func kv(from, n int, prefix string) []rec {
	var rs []rec
	for i := from; i < from+n; i++ {
		rs = append(rs, rec{key: []byte(fmt.Sprintf("k-%d", i)), value: []byte(fmt.Sprintf("%s-%d", prefix, i))})
	}
	return rs
}

// produce sends rs to T/partition and waits for every delivery report; returns the offsets in order.
func produce(p *kafka.Producer, topic string, partition int32, rs []rec) []int64 {
	ch := make(chan kafka.Event, len(rs))
	for _, r := range rs {
		m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: partition}, Key: r.key, Value: r.value, Headers: r.headers, Timestamp: r.ts}
		must(p.Produce(m, ch), "Produce")
	}
	left := p.Flush(30000)
	check(left == 0, "%d messages not delivered", left)
	offs := []int64{}
	for range rs {
		select {
		case ev := <-ch:
			m := ev.(*kafka.Message)
			must(m.TopicPartition.Error, "delivery")
			offs = append(offs, int64(m.TopicPartition.Offset))
		case <-time.After(30 * time.Second):
			panic(failure("delivery report missing"))
		}
	}
	return offs
}

func consumer(extra kafka.ConfigMap) *kafka.Consumer {
	c := kafka.ConfigMap{"enable.auto.commit": false, "enable.partition.eof": false, "fetch.wait.max.ms": 200,
		"group.id": "compat-unused", "enable.auto.offset.store": false}
	for k, v := range extra {
		c[k] = v
	}
	cs, err := kafka.NewConsumer(conf(c))
	must(err, "NewConsumer")
	return cs
}

func read(topic string, partition int32, offset kafka.Offset, count int, extra kafka.ConfigMap) []*kafka.Message {
	c := consumer(extra)
	defer c.Close()
	must(c.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: partition, Offset: offset}}), "Assign")
	return poll(c, count)
}
func poll(c *kafka.Consumer, count int) []*kafka.Message {
	var out []*kafka.Message
	end := time.Now().Add(15 * time.Second)
	for len(out) < count && time.Now().Before(end) {
		switch e := c.Poll(500).(type) {
		case *kafka.Message:
			must(e.TopicPartition.Error, "consume")
			out = append(out, e)
		case kafka.Error:
			check(!e.IsFatal(), "consume error: %v", e)
		}
	}
	return out
}

func str(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	return string(b)
}
func triples(ms []*kafka.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s:%s", m.TopicPartition.Offset, str(m.Key), str(m.Value)))
	}
	return out
}
func expected(from, to int, prefix string) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%d:k-%d:%s-%d", i, i, prefix, i))
	}
	return out
}
func seq(from, to int64) []int64 {
	out := []int64{}
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func sBootstrap() {
	d, err := admin().DescribeCluster(ctx())
	must(err, "DescribeCluster")
	check(len(d.Nodes) > 0, "no brokers")
	host, portS, _ := strings.Cut(bootstrap, ":")
	port, _ := strconv.Atoi(portS)
	found := false
	for _, n := range d.Nodes {
		found = found || (n.Host == host && n.Port == port)
	}
	check(found, "%s not among %v", bootstrap, d.Nodes)
	check(d.ClusterID != nil && *d.ClusterID != "", "no cluster id")
	md, err := admin().GetMetadata(nil, true, 10000)
	must(err, "Metadata")
	found = false
	for _, b := range md.Brokers {
		found = found || (b.Host == host && b.Port == port)
	}
	check(found, "metadata brokers miss the bootstrap address: %v", md.Brokers)
}

func sMetadata() {
	createTopic(T, 3, nil)
	t := topicMeta(T)
	ids := []int{}
	for _, p := range t.Partitions {
		ids = append(ids, int(p.ID))
	}
	sort.Ints(ids)
	eq(ids, []int{0, 1, 2}, "partition ids")
	md, err := admin().GetMetadata(nil, true, 10000)
	must(err, "Metadata")
	brokers := map[int32]bool{}
	for _, b := range md.Brokers {
		brokers[b.ID] = true
	}
	for _, p := range t.Partitions {
		check(brokers[p.Leader], "leader %d is not a broker", p.Leader)
	}
	d, err := admin().DescribeTopics(ctx(), kafka.NewTopicCollectionOfTopicNames([]string{T}))
	must(err, "DescribeTopics")
	td := d.TopicDescriptions[0]
	must(errOf(td.Error), "DescribeTopics "+T)
	got := []int{}
	for _, p := range td.Partitions {
		got = append(got, p.Partition)
	}
	eq(got, []int{0, 1, 2}, "DescribeTopics partitions")
	check(td.TopicID.String() != "" && td.TopicID.String() != "AAAAAAAAAAAAAAAAAAAAAA", "no topic id: %v", td.TopicID)
}

func errOf(e kafka.Error) error {
	if e.Code() == kafka.ErrNoError {
		return nil
	}
	return e
}

func produceAcks(acks string) func() {
	return func() {
		createTopic(T, 1, nil)
		offs := produce(producer(kafka.ConfigMap{"acks": acks}), T, 0, kv(0, 10, "v"))
		if acks != "0" {
			eq(offs, seq(0, 10), "delivered offsets")
		}
		eq(triples(read(T, 0, kafka.OffsetBeginning, 10, nil)), expected(0, 10, "v"), "records")
	}
}

func sCodecs() {
	createTopic(T, 1, nil)
	want := []string{}
	for c, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		var rs []rec
		for i := 0; i < 5; i++ {
			rs = append(rs, rec{key: []byte(fmt.Sprintf("%s-k%d", codec, i)), value: []byte(fmt.Sprintf("%s-%d-%s", codec, i, strings.Repeat("x", 100)))})
			want = append(want, fmt.Sprintf("%d:%s:%s", c*5+i, rs[i].key, rs[i].value))
		}
		offs := produce(producer(kafka.ConfigMap{"compression.type": codec, "linger.ms": 50}), T, 0, rs)
		eq(offs, seq(int64(c*5), int64(c*5+5)), codec+" offsets")
	}
	eq(triples(read(T, 0, kafka.OffsetBeginning, 25, nil)), want, "records read back")
}

func sRecords() {
	createTopic(T, 1, map[string]string{"max.message.bytes": strconv.Itoa(2 << 20)})
	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i % 251)
	}
	rs := []rec{
		{key: []byte("k0"), value: []byte("v0"), headers: []kafka.Header{{Key: "h1", Value: []byte("a")}, {Key: "h2", Value: []byte("b")}}},
		{key: nil, value: []byte("v1")},
		{key: []byte("k2"), value: nil},
		{key: []byte("k3"), value: []byte{}},
		{key: []byte("k4"), value: payload},
		{key: []byte("k5"), value: []byte("v5"), headers: []kafka.Header{{Key: "dup", Value: []byte("1")}, {Key: "dup", Value: []byte("2")}, {Key: "nullh", Value: nil}}},
	}
	p := producer(kafka.ConfigMap{"message.max.bytes": 4 << 20})
	for i, r := range rs {
		eq(produce(p, T, 0, []rec{r}), []int64{int64(i)}, fmt.Sprintf("offset of record %d", i))
	}
	got := read(T, 0, kafka.OffsetBeginning, 6, kafka.ConfigMap{"fetch.max.bytes": 8 << 20, "receive.message.max.bytes": 9 << 20})
	check(len(got) == 6, "read %d of 6 records", len(got))
	offs, keys := []int64{}, []string{}
	for _, m := range got {
		offs = append(offs, int64(m.TopicPartition.Offset))
		keys = append(keys, str(m.Key))
	}
	eq(offs, seq(0, 6), "offsets")
	eq(keys, []string{"k0", "<nil>", "k2", "k3", "k4", "k5"}, "keys")
	vals := []string{}
	for _, i := range []int{0, 1, 2, 3, 5} {
		vals = append(vals, str(got[i].Value))
	}
	eq(vals, []string{"v0", "v1", "<nil>", "", "v5"}, "values")
	check(got[3].Value != nil, "empty value read back as null")
	check(bytes.Equal(got[4].Value, payload), "1 MiB value differs (length %d)", len(got[4].Value))
	hs := func(m *kafka.Message) string {
		out := []string{}
		for _, h := range m.Headers {
			out = append(out, h.Key+"="+str(h.Value))
		}
		return strings.Join(out, ",")
	}
	eq(hs(got[0]), "h1=a,h2=b", "headers")
	eq(hs(got[5]), "dup=1,dup=2,nullh=<nil>", "repeated and null headers")
	eq(len(got[1].Headers), 0, "no headers")
}

func sConsumeBeginning() {
	createTopic(T, 1, nil)
	produce(producer(nil), T, 0, kv(0, 10, "v"))
	c := consumer(nil)
	lo, hi, err := c.QueryWatermarkOffsets(T, 0, 10000)
	c.Close()
	must(err, "QueryWatermarkOffsets")
	eq([]int64{lo, hi}, []int64{0, 10}, "watermarks")
	eq(listOffset(kafka.EarliestOffsetSpec), int64(0), "ListOffsets earliest")
	eq(triples(read(T, 0, kafka.OffsetBeginning, 10, nil)), expected(0, 10, "v"), "records")
}

func listOffset(spec kafka.OffsetSpec) int64 {
	t := T
	r, err := admin().ListOffsets(ctx(), map[kafka.TopicPartition]kafka.OffsetSpec{{Topic: &t, Partition: 0}: spec})
	must(err, "ListOffsets")
	for _, info := range r.ResultInfos {
		must(errOf(info.Error), "ListOffsets")
		return int64(info.Offset)
	}
	panic(failure("no ListOffsets answer"))
}

func sConsumeEnd() {
	createTopic(T, 1, nil)
	produce(producer(nil), T, 0, kv(0, 5, "v"))
	c := consumer(nil)
	defer c.Close()
	t := T
	must(c.Assign([]kafka.TopicPartition{{Topic: &t, Partition: 0, Offset: kafka.OffsetEnd}}), "Assign")
	// wait until the fetcher runs at the reset offset (the cached high watermark comes from Fetch
	// responses) before producing more
	until("fetching at the end", func() bool {
		c.Poll(200)
		_, hi, err := c.GetWatermarkOffsets(T, 0)
		return err == nil && hi == 5
	})
	time.Sleep(500 * time.Millisecond)
	produce(producer(nil), T, 0, kv(5, 5, "v"))
	eq(triples(poll(c, 5)), expected(5, 10, "v"), "records after the end")
}

func sConsumeTimestamp() {
	createTopic(T, 1, nil)
	t0 := time.Now().Truncate(time.Second).Add(-time.Minute)
	var rs []rec
	for i, r := range kv(0, 10, "v") {
		r.ts = t0.Add(time.Duration(i) * time.Second)
		rs = append(rs, r)
	}
	// linger so the ten records go out as one batch
	produce(producer(kafka.ConfigMap{"linger.ms": 100}), T, 0, rs)
	c := consumer(nil)
	t := T
	at, err := c.OffsetsForTimes([]kafka.TopicPartition{{Topic: &t, Partition: 0, Offset: kafka.Offset(t0.UnixMilli() + 4500)}}, 10000)
	must(err, "OffsetsForTimes")
	eq(int64(at[0].Offset), int64(5), "offset for t0+4500")
	fut, err := c.OffsetsForTimes([]kafka.TopicPartition{{Topic: &t, Partition: 0, Offset: kafka.Offset(time.Now().Add(time.Hour).UnixMilli())}}, 10000)
	must(err, "OffsetsForTimes")
	eq(fut[0].Offset, kafka.OffsetEnd, "offset for a future time (OffsetEnd)")
	c.Close()
	got := read(T, 0, 5, 5, nil)
	eq(triples(got), expected(5, 10, "v"), "records from t0+4500")
	ts := []string{}
	want := []string{}
	for i, m := range got {
		ts = append(ts, fmt.Sprintf("%v@%d", m.TimestampType, m.Timestamp.UnixMilli()))
		want = append(want, fmt.Sprintf("%v@%d", kafka.TimestampCreateTime, t0.UnixMilli()+int64(5+i)*1000))
	}
	eq(ts, want, "timestamps (CreateTime)")
}

func topicNames() map[string]bool {
	md, err := admin().GetMetadata(nil, true, 5000)
	out := map[string]bool{}
	if err != nil {
		return out
	}
	for n := range md.Topics {
		out[n] = true
	}
	return out
}

func sAdminTopics() {
	T2 := T + "-b"
	res, err := admin().CreateTopics(ctx(), []kafka.TopicSpecification{{Topic: T, NumPartitions: 2, ReplicationFactor: 1}, {Topic: T2, NumPartitions: 1, ReplicationFactor: 1}},
		kafka.SetAdminOperationTimeout(15*time.Second))
	must(err, "CreateTopics")
	for _, r := range res {
		must(errOf(r.Error), "CreateTopics "+r.Topic)
	}
	res, err = admin().CreateTopics(ctx(), []kafka.TopicSpecification{{Topic: T2, NumPartitions: 1, ReplicationFactor: 1}})
	must(err, "CreateTopics (repeat)")
	eq(res[0].Error.Code(), kafka.ErrTopicAlreadyExists, "error for an existing topic")
	until("topics listed", func() bool { n := topicNames(); return n[T] && n[T2] })
	d, err := admin().DescribeTopics(ctx(), kafka.NewTopicCollectionOfTopicNames([]string{T, T2}))
	must(err, "DescribeTopics")
	got := []string{}
	for _, td := range d.TopicDescriptions {
		must(errOf(td.Error), "DescribeTopics "+td.Name)
		got = append(got, fmt.Sprintf("%s=%d", td.Name, len(td.Partitions)))
	}
	sort.Strings(got)
	want := []string{fmt.Sprintf("%s=%d", T, 2), fmt.Sprintf("%s=%d", T2, 1)}
	sort.Strings(want)
	eq(got, want, "DescribeTopics")
	res, err = admin().DeleteTopics(ctx(), []string{T}, kafka.SetAdminOperationTimeout(15*time.Second))
	must(err, "DeleteTopics")
	must(errOf(res[0].Error), "DeleteTopics")
	until("topic gone", func() bool { n := topicNames(); return !n[T] && n[T2] })
}

func describeConfigs() string {
	r, err := admin().DescribeConfigs(ctx(), []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: T}})
	must(err, "DescribeConfigs")
	must(errOf(r[0].Error), "DescribeConfigs")
	return r[0].Config["retention.ms"].Value + "/" + r[0].Config["cleanup.policy"].Value
}

func sAdminConfigs() {
	createTopic(T, 1, nil)
	eventually(describeConfigs, "604800000/delete", "default configs")
	r, err := admin().AlterConfigs(ctx(), []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: T,
		Config: kafka.StringMapToConfigEntries(map[string]string{"retention.ms": "3600000"}, kafka.AlterOperationSet)}})
	must(err, "AlterConfigs")
	must(errOf(r[0].Error), "AlterConfigs")
	eventually(describeConfigs, "3600000/delete", "after AlterConfigs")
	r, err = admin().IncrementalAlterConfigs(ctx(), []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: T, Config: []kafka.ConfigEntry{
		{Name: "cleanup.policy", Value: "compact", IncrementalOperation: kafka.AlterConfigOpTypeSet},
		{Name: "retention.ms", IncrementalOperation: kafka.AlterConfigOpTypeDelete}}}})
	must(err, "IncrementalAlterConfigs")
	must(errOf(r[0].Error), "IncrementalAlterConfigs")
	eventually(describeConfigs, "604800000/compact", "after IncrementalAlterConfigs")
}

func sAdminPartitions() {
	createTopic(T, 1, nil)
	res, err := admin().CreatePartitions(ctx(), []kafka.PartitionsSpecification{{Topic: T, IncreaseTo: 3}}, kafka.SetAdminOperationTimeout(15*time.Second))
	must(err, "CreatePartitions")
	must(errOf(res[0].Error), "CreatePartitions")
	until("3 partitions", func() bool { t := topicMeta(T); return t != nil && len(t.Partitions) == 3 })
	eq(produce(producer(nil), T, 2, []rec{{key: []byte("k"), value: []byte("on-2")}}), []int64{0}, "offset on partition 2")
	eq(triples(read(T, 2, kafka.OffsetBeginning, 1, nil)), []string{"0:k:on-2"}, "record on partition 2")
}

func sAdminDeleteRecords() {
	createTopic(T, 1, nil)
	produce(producer(nil), T, 0, kv(0, 10, "v"))
	t := T
	r, err := admin().DeleteRecords(ctx(), []kafka.TopicPartition{{Topic: &t, Partition: 0, Offset: 4}})
	must(err, "DeleteRecords")
	dr := r.DeleteRecordsResults[0]
	must(dr.TopicPartition.Error, "DeleteRecords")
	check(dr.DeletedRecords != nil, "DeleteRecords: no low watermark")
	eq(int64(dr.DeletedRecords.LowWatermark), int64(4), "low watermark from DeleteRecords")
	eq(listOffset(kafka.EarliestOffsetSpec), int64(4), "ListOffsets earliest")
	eq(triples(read(T, 0, kafka.OffsetBeginning, 6, nil)), expected(4, 10, "v"), "records after the low watermark")
}

func sIdempotent() {
	createTopic(T, 1, nil)
	p := producer(kafka.ConfigMap{"enable.idempotence": true, "acks": "all"})
	offs := []int64{}
	for b := 0; b < 4; b++ {
		offs = append(offs, produce(p, T, 0, kv(b*5, 5, "v"))...)
	}
	eq(offs, seq(0, 20), "delivered offsets")
	eq(triples(read(T, 0, kafka.OffsetBeginning, 20, nil)), expected(0, 20, "v"), "records")
}

// ---- groups ----

// member is a group member polled from the main goroutine; the rebalance callback runs inside Poll.
type member struct {
	name        string
	c           *kafka.Consumer
	seen        map[string]int
	owned       map[int32]bool
	revoked     []map[int32]bool
	cooperative bool
	closed      bool
}

func newMember(name, group string, seen map[string]int, extra kafka.ConfigMap) *member {
	c := kafka.ConfigMap{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": false, "fetch.wait.max.ms": 100}
	if extra["group.protocol"] != "consumer" {
		c["session.timeout.ms"] = 10000
		c["heartbeat.interval.ms"] = 500
	}
	for k, v := range extra {
		c[k] = v
	}
	cs, err := kafka.NewConsumer(conf(c))
	must(err, "NewConsumer "+name)
	m := &member{name: name, c: cs, seen: seen, owned: map[int32]bool{},
		cooperative: extra["partition.assignment.strategy"] == "cooperative-sticky" || extra["group.protocol"] == "consumer"}
	must(cs.SubscribeTopics([]string{T}, m.rebalance), "Subscribe")
	return m
}

// rebalance records what moved; the library then does the (incremental) assign itself.
func (m *member) rebalance(_ *kafka.Consumer, ev kafka.Event) error {
	switch e := ev.(type) {
	case kafka.AssignedPartitions:
		if !m.cooperative {
			m.owned = map[int32]bool{}
		}
		for _, p := range e.Partitions {
			m.owned[p.Partition] = true
		}
	case kafka.RevokedPartitions:
		ps := map[int32]bool{}
		for _, p := range e.Partitions {
			ps[p.Partition] = true
			delete(m.owned, p.Partition)
		}
		if !m.cooperative {
			m.owned = map[int32]bool{}
		}
		m.revoked = append(m.revoked, ps)
	}
	return nil
}

func (m *member) step() {
	if m.closed {
		return
	}
	switch e := m.c.Poll(50).(type) {
	case *kafka.Message:
		must(e.TopicPartition.Error, m.name)
		m.seen[string(e.Value)]++
		next := e.TopicPartition
		next.Offset++
		_, err := m.c.CommitOffsets([]kafka.TopicPartition{next})
		must(err, m.name+" commit")
	case kafka.Error:
		check(!e.IsFatal(), "%s: %v", m.name, e)
	}
}
func (m *member) close() {
	if !m.closed {
		m.c.Close()
		m.closed = true
	}
}
func (m *member) parts() []int32 {
	out := []int32{}
	for p := range m.owned {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func runUntil(ms []*member, what string, f func() bool) {
	end := time.Now().Add(40 * time.Second)
	for !f() {
		if time.Now().After(end) {
			state := []string{}
			for _, m := range ms {
				if !m.closed {
					state = append(state, fmt.Sprintf("%s=%v", m.name, m.parts()))
				}
			}
			panic(failure(fmt.Sprintf("timed out waiting for %s: %s", what, strings.Join(state, ", "))))
		}
		for _, m := range ms {
			m.step()
		}
	}
}

func produceSpread(prefix string, n int) {
	p := producer(nil)
	for i := 0; i < n; i++ {
		v := []byte(fmt.Sprintf("%s-%d", prefix, i))
		produce(p, T, int32(i%3), []rec{{key: v, value: v}})
	}
}
func have(seen map[string]int, prefix string, n int) bool {
	for i := 0; i < n; i++ {
		if seen[fmt.Sprintf("%s-%d", prefix, i)] == 0 {
			return false
		}
	}
	return true
}
func noDups(seen map[string]int, total int) {
	dups := []string{}
	for v, n := range seen {
		if n > 1 {
			dups = append(dups, v)
		}
	}
	sort.Strings(dups)
	check(len(dups) == 0, "duplicates: %v", dups)
	eq(len(seen), total, "distinct records consumed")
}
func union(ms ...*member) []int32 {
	u := map[int32]bool{}
	for _, m := range ms {
		for p := range m.owned {
			u[p] = true
		}
	}
	out := []int32{}
	for p := range u {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
func disjoint(ms ...*member) bool {
	n := 0
	for _, m := range ms {
		n += len(m.owned)
	}
	return n == len(union(ms...))
}

var all3 = []int32{0, 1, 2}

func sGroupRebalance() {
	createTopic(T, 3, nil)
	produceSpread("a", 30)
	G, seen := T+"-g", map[string]int{}
	ms := []*member{newMember("c1", G, seen, nil), newMember("c2", G, seen, nil), newMember("c3", G, seen, nil)}
	for _, m := range ms {
		closers = append(closers, m.close)
	}
	runUntil(ms, "one partition each", func() bool {
		return len(ms[0].owned) == 1 && len(ms[1].owned) == 1 && len(ms[2].owned) == 1 && reflect.DeepEqual(union(ms...), all3)
	})
	runUntil(ms, "30 records", func() bool { return have(seen, "a", 30) })
	ms[2].close()
	runUntil(ms, "two members cover 3 partitions", func() bool {
		return reflect.DeepEqual(union(ms[0], ms[1]), all3) && disjoint(ms[0], ms[1])
	})
	produceSpread("b", 30)
	runUntil(ms, "30 more records", func() bool { return have(seen, "b", 30) })
	ms[0].close()
	ms[1].close()
	produceSpread("c", 9)
	m4 := newMember("c4", G, seen, nil)
	closers = append(closers, m4.close)
	runUntil([]*member{m4}, "resume from commits", func() bool { return have(seen, "c", 9) })
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		m4.step()
	}
	m4.close()
	noDups(seen, 69)
}

func sCooperativeSticky() {
	createTopic(T, 3, nil)
	produceSpread("a", 30)
	G, seen := T+"-g", map[string]int{}
	cfg := kafka.ConfigMap{"partition.assignment.strategy": "cooperative-sticky"}
	A := newMember("A", G, seen, cfg)
	closers = append(closers, A.close)
	runUntil([]*member{A}, "A owns all", func() bool { return reflect.DeepEqual(A.parts(), all3) })
	runUntil([]*member{A}, "30 records", func() bool { return have(seen, "a", 30) })
	B := newMember("B", G, seen, cfg)
	closers = append(closers, B.close)
	runUntil([]*member{A, B}, "A and B share", func() bool {
		return len(A.owned) > 0 && len(B.owned) > 0 && reflect.DeepEqual(union(A, B), all3) && disjoint(A, B)
	})
	moved := map[int32]bool{}
	for _, r := range A.revoked {
		for p := range r {
			moved[p] = true
		}
	}
	eq(moved, B.owned, "A was revoked exactly what moved to B (cooperative)")
	produceSpread("b", 30)
	runUntil([]*member{A, B}, "30 more", func() bool { return have(seen, "b", 30) })
	A.close()
	B.close()
	noDups(seen, 60)
}

func sKip848() {
	createTopic(T, 3, nil)
	produceSpread("a", 30)
	G, seen := T+"-g", map[string]int{}
	cfg := kafka.ConfigMap{"group.protocol": "consumer"}
	m1, m2 := newMember("m1", G, seen, cfg), newMember("m2", G, seen, cfg)
	closers = append(closers, m1.close, m2.close)
	ms := []*member{m1, m2}
	runUntil(ms, "two members share 3 partitions", func() bool {
		return len(m1.owned) > 0 && len(m2.owned) > 0 && reflect.DeepEqual(union(m1, m2), all3) && disjoint(m1, m2)
	})
	runUntil(ms, "30 records", func() bool { return have(seen, "a", 30) })
	m1.close()
	m2.close()
	produceSpread("c", 9)
	m3 := newMember("m3", G, seen, cfg)
	closers = append(closers, m3.close)
	runUntil([]*member{m3}, "resume from commits", func() bool { return have(seen, "c", 9) })
	m3.close()
	noDups(seen, 39)
}

func sTransactions() {
	createTopic(T, 1, nil)
	p := producer(kafka.ConfigMap{"transactional.id": T + "-tx"})
	must(p.InitTransactions(ctx()), "InitTransactions")
	for _, tx := range []struct {
		prefix string
		commit bool
	}{{"t1", true}, {"t2", false}, {"t3", true}} {
		must(p.BeginTransaction(), "BeginTransaction")
		var rs []rec
		for i := 0; i < 5; i++ {
			v := []byte(fmt.Sprintf("%s-%d", tx.prefix, i))
			rs = append(rs, rec{key: v, value: v})
		}
		produce(p, T, 0, rs)
		if tx.commit {
			must(p.CommitTransaction(ctx()), "CommitTransaction")
		} else {
			must(p.AbortTransaction(ctx()), "AbortTransaction")
		}
	}
	at := func(prefix string, base int) []string {
		out := []string{}
		for i := 0; i < 5; i++ {
			v := fmt.Sprintf("%s-%d", prefix, i)
			out = append(out, fmt.Sprintf("%d:%s:%s", base+i, v, v))
		}
		return out
	}
	eq(triples(read(T, 0, kafka.OffsetBeginning, 10, kafka.ConfigMap{"isolation.level": "read_committed"})),
		append(at("t1", 0), at("t3", 12)...), "read_committed")
	eq(triples(read(T, 0, kafka.OffsetBeginning, 15, kafka.ConfigMap{"isolation.level": "read_uncommitted"})),
		append(append(at("t1", 0), at("t2", 6)...), at("t3", 12)...), "read_uncommitted")
}

func sAdminGroups() {
	createTopic(T, 1, nil)
	produce(producer(nil), T, 0, kv(0, 10, "v"))
	G := T + "-g"
	c, err := kafka.NewConsumer(conf(kafka.ConfigMap{"group.id": G, "auto.offset.reset": "earliest", "enable.auto.commit": false}))
	must(err, "NewConsumer")
	must(c.SubscribeTopics([]string{T}, nil), "Subscribe")
	end := time.Now().Add(30 * time.Second)
	for {
		check(time.Now().Before(end), "timed out consuming")
		if m, ok := c.Poll(200).(*kafka.Message); ok && m.TopicPartition.Error == nil && m.TopicPartition.Offset == 6 {
			t := T
			_, err := c.CommitOffsets([]kafka.TopicPartition{{Topic: &t, Partition: 0, Offset: 7}})
			must(err, "CommitOffsets")
			break
		}
	}
	must(c.Close(), "Close")
	listed := func() bool {
		l, err := admin().ListConsumerGroups(ctx())
		must(err, "ListConsumerGroups")
		for _, g := range l.Valid {
			if g.GroupID == G {
				return true
			}
		}
		return false
	}
	check(listed(), "ListConsumerGroups misses %s", G)
	d, err := admin().DescribeConsumerGroups(ctx(), []string{G})
	must(err, "DescribeConsumerGroups")
	gd := d.ConsumerGroupDescriptions[0]
	must(errOf(gd.Error), "DescribeConsumerGroups")
	eq(fmt.Sprintf("%s %v %d", gd.GroupID, gd.State, len(gd.Members)), fmt.Sprintf("%s %v %d", G, kafka.ConsumerGroupStateEmpty, 0), "DescribeConsumerGroups")
	o, err := admin().ListConsumerGroupOffsets(ctx(), []kafka.ConsumerGroupTopicPartitions{{Group: G}})
	must(err, "ListConsumerGroupOffsets")
	got := []string{}
	for _, tp := range o.ConsumerGroupsTopicPartitions[0].Partitions {
		got = append(got, fmt.Sprintf("%s/%d@%d", *tp.Topic, tp.Partition, tp.Offset))
	}
	eq(got, []string{fmt.Sprintf("%s/0@7", T)}, "committed offsets")
	dr, err := admin().DeleteConsumerGroups(ctx(), []string{G})
	must(err, "DeleteConsumerGroups")
	must(errOf(dr.ConsumerGroupResults[0].Error), "DeleteConsumerGroups")
	check(!listed(), "group still listed after delete")
}

var scenarios = map[string]func(){
	"bootstrap": sBootstrap, "metadata": sMetadata,
	"produce-acks0": produceAcks("0"), "produce-acks1": produceAcks("1"), "produce-acksall": produceAcks("all"),
	"codecs": sCodecs, "records": sRecords, "consume-beginning": sConsumeBeginning, "consume-end": sConsumeEnd,
	"consume-timestamp": sConsumeTimestamp, "admin-topics": sAdminTopics, "admin-configs": sAdminConfigs,
	"admin-partitions": sAdminPartitions, "admin-delete-records": sAdminDeleteRecords, "idempotent": sIdempotent,
	"group-rebalance": sGroupRebalance, "cooperative-sticky": sCooperativeSticky, "kip848": sKip848,
	"transactions": sTransactions, "admin-groups": sAdminGroups,
}

func main() {
	var scenario string
	flag.StringVar(&bootstrap, "bootstrap", "", "host:port")
	flag.StringVar(&scenario, "scenario", "", "scenario name")
	flag.StringVar(&T, "topic", "", "topic")
	version := flag.Bool("version", false, "print the librdkafka version and exit")
	flag.Parse()
	if *version {
		_, v := kafka.LibraryVersion()
		fmt.Println(v)
		return
	}
	code := 0
	func() {
		defer func() {
			if r := recover(); r != nil {
				code = 1
				if f, ok := r.(failure); ok {
					fmt.Fprintf(os.Stderr, "%s: %s\n", scenario, string(f))
				} else {
					fmt.Fprintf(os.Stderr, "%s: panic: %v\n", scenario, r)
				}
			}
		}()
		fn, ok := scenarios[scenario]
		if !ok {
			fmt.Fprintf(os.Stderr, "%s: confluent-kafka-go: scenario %s is not implemented\n", scenario, scenario)
			code = 3
			return
		}
		fn()
	}()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	os.Exit(code)
}
