// IBM/sarama scenario program for test-compat/run.mjs.
//
//	compat-sarama --bootstrap HOST:PORT --scenario NAME --topic T
//
// Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
// config.Version is set to 4.0 (the protocol versions sarama picks follow it). Partition reads use
// the partition consumer (no group); group scenarios (groups.go) use ConsumerGroup with the range balancer.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

var (
	bootstrap, T string
	closers      []func()
)

type failure string
type unsupported string

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

func until(what string, f func() bool, d time.Duration) {
	end := time.Now().Add(d)
	for !f() {
		check(time.Now().Before(end), "timed out waiting for %s", what)
		time.Sleep(200 * time.Millisecond)
	}
}

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V4_0_0_0
	c.ClientID = "compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Consumer.MaxWaitTime = 200 * time.Millisecond
	c.Consumer.Return.Errors = true
	c.Metadata.AllowAutoTopicCreation = false
	return c
}
func admin() sarama.ClusterAdmin {
	a, err := sarama.NewClusterAdmin([]string{bootstrap}, config())
	must(err, "NewClusterAdmin")
	closers = append(closers, func() { a.Close() })
	return a
}
func producer(tweak func(*sarama.Config)) sarama.SyncProducer {
	c := config()
	if tweak != nil {
		tweak(c)
	}
	p, err := sarama.NewSyncProducer([]string{bootstrap}, c)
	must(err, "NewSyncProducer")
	closers = append(closers, func() { p.Close() })
	return p
}
func createTopic(a sarama.ClusterAdmin, topic string, partitions int32, configs map[string]*string) {
	must(a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: configs}, false), "CreateTopic "+topic)
	until(topic+" has leaders", func() bool {
		md, err := a.DescribeTopics([]string{topic})
		if err != nil || len(md) != 1 || md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != int(partitions) {
			return false
		}
		for _, p := range md[0].Partitions {
			if p.Leader < 0 {
				return false
			}
		}
		return true
	}, 15*time.Second)
}
func msg(partition int32, key, value string) *sarama.ProducerMessage {
	return &sarama.ProducerMessage{Topic: T, Partition: partition, Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(value)}
}
func send(p sarama.SyncProducer, ms ...*sarama.ProducerMessage) []int64 {
	must(p.SendMessages(ms), "SendMessages")
	var offs []int64
	for _, m := range ms {
		offs = append(offs, m.Offset)
	}
	return offs
}
func sendN(p sarama.SyncProducer, from, n int) []int64 {
	var ms []*sarama.ProducerMessage
	for i := from; i < from+n; i++ {
		ms = append(ms, msg(0, fmt.Sprintf("k-%d", i), fmt.Sprintf("v-%d", i)))
	}
	return send(p, ms...)
}
func read(topic string, partition int32, offset int64, count int, tweak func(*sarama.Config)) []*sarama.ConsumerMessage {
	c := config()
	c.Consumer.Fetch.Default = 4 << 20
	if tweak != nil {
		tweak(c)
	}
	cons, err := sarama.NewConsumer([]string{bootstrap}, c)
	must(err, "NewConsumer")
	defer cons.Close()
	pc, err := cons.ConsumePartition(topic, partition, offset)
	must(err, "ConsumePartition")
	defer pc.Close()
	var out []*sarama.ConsumerMessage
	deadline := time.After(15 * time.Second)
	for len(out) < count {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case e := <-pc.Errors():
			must(e, "consume")
		case <-deadline:
			return out
		}
	}
	return out
}
func triples(ms []*sarama.ConsumerMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s:%s", m.Offset, m.Key, m.Value))
	}
	return out
}
func expected(from, to int) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%d:k-%d:v-%d", i, i, i))
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
func listOffset(a sarama.ClusterAdmin, topic string, p int32, ts int64) *sarama.OffsetResult {
	r, err := a.ListOffsets(map[string]map[int32]int64{topic: {p: ts}}, nil)
	must(err, "ListOffsets")
	o := r[topic][p]
	check(o != nil, "no ListOffsets answer")
	if !errors.Is(o.Err, sarama.ErrNoError) {
		must(o.Err, "ListOffsets")
	}
	return o
}
func describeConfig(a sarama.ClusterAdmin) string {
	es, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: T, ConfigNames: []string{"retention.ms", "cleanup.policy"}})
	must(err, "DescribeConfig")
	m := map[string]string{}
	for _, e := range es {
		m[e.Name] = e.Value
	}
	return m["retention.ms"] + "/" + m["cleanup.policy"]
}

var scenarios = map[string]func(){
	"bootstrap": func() {
		brokers, _, err := admin().DescribeCluster()
		must(err, "DescribeCluster")
		found := false
		for _, b := range brokers {
			found = found || b.Addr() == bootstrap
		}
		check(found, "%s not among the brokers", bootstrap)
	},
	"metadata": func() {
		a := admin()
		createTopic(a, T, 3, nil)
		md, err := a.DescribeTopics([]string{T})
		must(err, "DescribeTopics")
		var ids []int32
		for _, p := range md[0].Partitions {
			ids = append(ids, p.ID)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		eq(ids, []int32{0, 1, 2}, "partition ids")
		brokers, _, err := a.DescribeCluster()
		must(err, "DescribeCluster")
		for _, p := range md[0].Partitions {
			ok := false
			for _, b := range brokers {
				ok = ok || b.ID() == p.Leader
			}
			check(ok, "leader %d is not a broker", p.Leader)
		}
	},
	"produce-acks0":   func() { produceAcks(sarama.NoResponse) },
	"produce-acks1":   func() { produceAcks(sarama.WaitForLocal) },
	"produce-acksall": func() { produceAcks(sarama.WaitForAll) },
	"codecs": func() {
		createTopic(admin(), T, 1, nil)
		names := []string{"none", "gzip", "snappy", "lz4", "zstd"}
		codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP, sarama.CompressionSnappy, sarama.CompressionLZ4, sarama.CompressionZSTD}
		var want []string
		for c, name := range names {
			p := producer(func(cf *sarama.Config) { cf.Producer.Compression = codecs[c]; cf.Producer.Flush.Messages = 5 })
			var ms []*sarama.ProducerMessage
			for i := 0; i < 5; i++ {
				v := fmt.Sprintf("%s-%d-%s", name, i, strings.Repeat("x", 100))
				ms = append(ms, msg(0, fmt.Sprintf("%s-k%d", name, i), v))
				want = append(want, fmt.Sprintf("%d:%s-k%d:%s", c*5+i, name, i, v))
			}
			eq(send(p, ms...), seq(int64(c*5), int64(c*5+5)), name+" offsets")
			p.Close()
		}
		eq(triples(read(T, 0, sarama.OffsetOldest, 25, nil)), want, "records read back")
	},
	"records": func() {
		mb := strconv.Itoa(2 << 20)
		createTopic(admin(), T, 1, map[string]*string{"max.message.bytes": &mb})
		p := producer(func(c *sarama.Config) { c.Producer.MaxMessageBytes = 4 << 20 })
		payload := make([]byte, 1<<20)
		for i := range payload {
			payload[i] = byte(i % 251)
		}
		ms := []*sarama.ProducerMessage{
			{Topic: T, Key: sarama.StringEncoder("k0"), Value: sarama.StringEncoder("v0"), Headers: []sarama.RecordHeader{{Key: []byte("h1"), Value: []byte("a")}, {Key: []byte("h2"), Value: []byte("b")}}},
			{Topic: T, Value: sarama.StringEncoder("v1")},
			{Topic: T, Key: sarama.StringEncoder("k2")},
			{Topic: T, Key: sarama.StringEncoder("k3"), Value: sarama.ByteEncoder([]byte{})},
			{Topic: T, Key: sarama.StringEncoder("k4"), Value: sarama.ByteEncoder(payload)},
			{Topic: T, Key: sarama.StringEncoder("k5"), Value: sarama.StringEncoder("v5"), Headers: []sarama.RecordHeader{{Key: []byte("dup"), Value: []byte("1")}, {Key: []byte("dup"), Value: []byte("2")}, {Key: []byte("nullh")}}},
		}
		for i, m := range ms {
			eq(send(p, m), []int64{int64(i)}, fmt.Sprintf("offset of record %d", i))
		}
		got := read(T, 0, sarama.OffsetOldest, 6, nil)
		eq(len(got), 6, "record count")
		var keys []string
		for _, m := range got {
			if m.Key == nil {
				keys = append(keys, "<nil>")
			} else {
				keys = append(keys, string(m.Key))
			}
		}
		eq(keys, []string{"k0", "<nil>", "k2", "k3", "k4", "k5"}, "keys")
		check(got[2].Value == nil, "record 2: value not null")
		check(got[3].Value != nil && len(got[3].Value) == 0, "record 3: value not empty-non-null")
		eq([]string{string(got[0].Value), string(got[1].Value), string(got[5].Value)}, []string{"v0", "v1", "v5"}, "values")
		check(bytes.Equal(got[4].Value, payload), "1 MiB value differs (length %d)", len(got[4].Value))
		eq(hdrs(got[0]), "h1=a,h2=b", "headers")
		eq(hdrs(got[5]), "dup=1,dup=2,nullh=<nil>", "repeated and null headers")
	},
	"consume-beginning": func() {
		a := admin()
		createTopic(a, T, 1, nil)
		sendN(producer(nil), 0, 10)
		eq([]int64{listOffset(a, T, 0, sarama.OffsetOldest).Offset, listOffset(a, T, 0, sarama.OffsetNewest).Offset}, []int64{0, 10}, "earliest/latest")
		eq(triples(read(T, 0, sarama.OffsetOldest, 10, nil)), expected(0, 10), "records")
	},
	"consume-end": func() {
		createTopic(admin(), T, 1, nil)
		p := producer(nil)
		sendN(p, 0, 5)
		c := config()
		cons, err := sarama.NewConsumer([]string{bootstrap}, c)
		must(err, "NewConsumer")
		defer cons.Close()
		// ConsumePartition resolves OffsetNewest (ListOffsets latest) before it returns
		pc, err := cons.ConsumePartition(T, 0, sarama.OffsetNewest)
		must(err, "ConsumePartition")
		defer pc.Close()
		sendN(p, 5, 5)
		var out []*sarama.ConsumerMessage
		deadline := time.After(15 * time.Second)
		for len(out) < 5 {
			select {
			case m := <-pc.Messages():
				out = append(out, m)
			case <-deadline:
				panic(failure(fmt.Sprintf("timed out; got %v", triples(out))))
			}
		}
		eq(triples(out), expected(5, 10), "records after the end")
	},
	"consume-timestamp": func() {
		a := admin()
		createTopic(a, T, 1, nil)
		t0 := time.Now().Truncate(time.Second).Add(-time.Minute)
		var ms []*sarama.ProducerMessage
		for i := 0; i < 10; i++ {
			m := msg(0, fmt.Sprintf("k-%d", i), fmt.Sprintf("v-%d", i))
			m.Timestamp = t0.Add(time.Duration(i) * time.Second)
			ms = append(ms, m)
		}
		send(producer(nil), ms...)
		at := listOffset(a, T, 0, t0.UnixMilli()+4500)
		eq([]int64{at.Offset, at.Timestamp}, []int64{5, t0.UnixMilli() + 5000}, "offset/timestamp for t0+4500")
		eq(listOffset(a, T, 0, time.Now().Add(time.Hour).UnixMilli()).Offset, int64(-1), "offset for a future time")
		got := read(T, 0, at.Offset, 5, nil)
		eq(triples(got), expected(5, 10), "records from t0+4500")
		var ts, want []int64
		for i, m := range got {
			ts = append(ts, m.Timestamp.UnixMilli())
			want = append(want, t0.UnixMilli()+int64(5+i)*1000)
		}
		eq(ts, want, "timestamps")
	},
	"admin-topics": func() {
		a := admin()
		T2 := T + "-b"
		must(a.CreateTopic(T, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false), "CreateTopic")
		must(a.CreateTopic(T2, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false), "CreateTopic")
		err := a.CreateTopic(T2, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false)
		check(errors.Is(err, sarama.ErrTopicAlreadyExists), "creating an existing topic: %v", err)
		until("both listed", func() bool {
			l, err := a.ListTopics()
			_, ok1 := l[T]
			_, ok2 := l[T2]
			return err == nil && ok1 && ok2
		}, 15*time.Second)
		l, _ := a.ListTopics()
		eq([]int32{l[T].NumPartitions, l[T2].NumPartitions}, []int32{2, 1}, "partitions")
		must(a.DeleteTopic(T), "DeleteTopic")
		until("topic gone", func() bool {
			l, err := a.ListTopics()
			_, ok1 := l[T]
			_, ok2 := l[T2]
			return err == nil && !ok1 && ok2
		}, 15*time.Second)
	},
	"admin-configs": func() {
		a := admin()
		createTopic(a, T, 1, nil)
		eventually(func() string { return describeConfig(a) }, "604800000/delete", "defaults")
		ret := "3600000"
		must(a.AlterConfig(sarama.TopicResource, T, map[string]*string{"retention.ms": &ret}, false), "AlterConfigs")
		eventually(func() string { return describeConfig(a) }, "3600000/delete", "after AlterConfigs")
		compact := "compact"
		must(a.IncrementalAlterConfig(sarama.TopicResource, T, map[string]sarama.IncrementalAlterConfigsEntry{
			"cleanup.policy": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &compact},
			"retention.ms":   {Operation: sarama.IncrementalAlterConfigsOperationDelete},
		}, false), "IncrementalAlterConfigs")
		eventually(func() string { return describeConfig(a) }, "604800000/compact", "after IncrementalAlterConfigs")
	},
	"admin-partitions": func() {
		a := admin()
		createTopic(a, T, 1, nil)
		must(a.CreatePartitions(T, 3, nil, false), "CreatePartitions")
		until("3 partitions", func() bool {
			md, err := a.DescribeTopics([]string{T})
			return err == nil && len(md[0].Partitions) == 3
		}, 15*time.Second)
		eq(send(producer(nil), msg(2, "k", "on-2")), []int64{0}, "offset on partition 2")
		eq(triples(read(T, 2, sarama.OffsetOldest, 1, nil)), []string{"0:k:on-2"}, "record on partition 2")
	},
	"admin-delete-records": func() {
		a := admin()
		createTopic(a, T, 1, nil)
		sendN(producer(nil), 0, 10)
		must(a.DeleteRecords(T, map[int32]int64{0: 4}), "DeleteRecords")
		eq(listOffset(a, T, 0, sarama.OffsetOldest).Offset, int64(4), "earliest")
		eq(triples(read(T, 0, sarama.OffsetOldest, 6, nil)), expected(4, 10), "records after the low watermark")
	},
	"idempotent": func() {
		createTopic(admin(), T, 1, nil)
		p := producer(func(c *sarama.Config) {
			c.Producer.Idempotent = true
			c.Net.MaxOpenRequests = 1
			c.Producer.Retry.Max = 5
		})
		var offs []int64
		for b := 0; b < 4; b++ {
			offs = append(offs, sendN(p, b*5, 5)...)
		}
		eq(offs, seq(0, 20), "returned offsets")
		eq(triples(read(T, 0, sarama.OffsetOldest, 20, nil)), expected(0, 20), "records")
	},
	"transactions": func() {
		createTopic(admin(), T, 1, nil)
		p := producer(func(c *sarama.Config) {
			c.Producer.Idempotent = true
			c.Net.MaxOpenRequests = 1
			c.Producer.Retry.Max = 5
			c.Producer.Transaction.ID = T + "-tx"
		})
		for _, tx := range []struct {
			prefix string
			commit bool
		}{{"t1", true}, {"t2", false}, {"t3", true}} {
			must(p.BeginTxn(), "BeginTxn")
			var ms []*sarama.ProducerMessage
			for i := 0; i < 5; i++ {
				v := fmt.Sprintf("%s-%d", tx.prefix, i)
				ms = append(ms, msg(0, v, v))
			}
			send(p, ms...)
			if tx.commit {
				must(p.CommitTxn(), "CommitTxn")
			} else {
				must(p.AbortTxn(), "AbortTxn")
			}
		}
		at := func(prefix string, base int) []string {
			var out []string
			for i := 0; i < 5; i++ {
				out = append(out, fmt.Sprintf("%d:%s-%d:%s-%d", base+i, prefix, i, prefix, i))
			}
			return out
		}
		rc := read(T, 0, sarama.OffsetOldest, 10, func(c *sarama.Config) { c.Consumer.IsolationLevel = sarama.ReadCommitted })
		eq(triples(rc), append(at("t1", 0), at("t3", 12)...), "read_committed")
		ru := read(T, 0, sarama.OffsetOldest, 15, func(c *sarama.Config) { c.Consumer.IsolationLevel = sarama.ReadUncommitted })
		eq(triples(ru), append(append(at("t1", 0), at("t2", 6)...), at("t3", 12)...), "read_uncommitted")
	},
	"group-rebalance": groupRebalance,
	"admin-groups":    adminGroups,
}

func hdrs(m *sarama.ConsumerMessage) string {
	var l []string
	for _, h := range m.Headers {
		v := string(h.Value)
		if h.Value == nil {
			v = "<nil>"
		}
		l = append(l, string(h.Key)+"="+v)
	}
	return strings.Join(l, ",")
}

func produceAcks(acks sarama.RequiredAcks) {
	createTopic(admin(), T, 1, nil)
	offs := sendN(producer(func(c *sarama.Config) { c.Producer.RequiredAcks = acks }), 0, 10)
	if acks != sarama.NoResponse {
		eq(offs, seq(0, 10), "returned offsets")
	}
	eq(triples(read(T, 0, sarama.OffsetOldest, 10, nil)), expected(0, 10), "records")
}

func main() {
	var scenario string
	flag.StringVar(&bootstrap, "bootstrap", "", "host:port")
	flag.StringVar(&scenario, "scenario", "", "scenario name")
	flag.StringVar(&T, "topic", "", "topic")
	flag.Parse()
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
			fmt.Fprintf(os.Stderr, "%s: %s\n", scenario, unsupported("sarama: scenario "+scenario+" is not implemented"))
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
