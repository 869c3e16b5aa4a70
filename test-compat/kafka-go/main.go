// segmentio/kafka-go scenario program for test-compat/run.mjs, using its low-level kafka.Client
// (one request per call: Metadata, CreateTopics, Produce, Fetch, ListOffsets, configs, partitions).
//
//	compat-kafka-go --bootstrap HOST:PORT --scenario NAME --topic T
//
// Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
// kafka-go has no DeleteRecords and no idempotent producer; group scenarios are in groups.go.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

var (
	bootstrap, T string
	cl           *kafka.Client
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
func until(what string, f func() bool) {
	end := time.Now().Add(15 * time.Second)
	for !f() {
		check(time.Now().Before(end), "timed out waiting for %s", what)
		time.Sleep(200 * time.Millisecond)
	}
}
func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	time.AfterFunc(31*time.Second, cancel)
	return c
}

func metadata(topics ...string) *kafka.MetadataResponse {
	md, err := cl.Metadata(ctx(), &kafka.MetadataRequest{Topics: topics})
	must(err, "Metadata")
	return md
}
func topicMD(topic string) *kafka.Topic {
	for _, t := range metadata(topic).Topics {
		if t.Name == topic && t.Error == nil {
			return &t
		}
	}
	return nil
}
func createTopic(topic string, partitions int, configs ...kafka.ConfigEntry) {
	r, err := cl.CreateTopics(ctx(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: configs}}})
	must(err, "CreateTopics")
	must(r.Errors[topic], "CreateTopics "+topic)
	until(topic+" has leaders", func() bool {
		t := topicMD(topic)
		if t == nil || len(t.Partitions) != partitions {
			return false
		}
		for _, p := range t.Partitions {
			if p.Leader.ID < 0 {
				return false
			}
		}
		return true
	})
}

type rec struct {
	key, value []byte
	headers    []kafka.Header
	ts         time.Time
}

func produce(partition int, acks kafka.RequiredAcks, codec kafka.Compression, rs ...rec) int64 {
	// right after CreateTopics Kafka may answer NOT_LEADER / UNKNOWN_TOPIC_OR_PARTITION until the
	// partition is loaded; such a Produce appended nothing, so it is sent again (kafka.Client does not
	// retry). The records are rebuilt per attempt: their key/value readers are consumed by a send.
	end := time.Now().Add(10 * time.Second)
	for {
		var records []kafka.Record
		for _, r := range rs {
			records = append(records, kafka.Record{Key: protocol.NewBytes(r.key), Value: protocol.NewBytes(r.value), Headers: r.headers, Time: r.ts})
		}
		res, err := cl.Produce(ctx(), &kafka.ProduceRequest{Topic: T, Partition: partition, RequiredAcks: acks, Compression: codec, Records: kafka.NewRecordReader(records...)})
		must(err, "Produce")
		if res == nil { // acks=0: no response
			return -1
		}
		if (errors.Is(res.Error, kafka.NotLeaderForPartition) || errors.Is(res.Error, kafka.UnknownTopicOrPartition) || errors.Is(res.Error, kafka.LeaderNotAvailable)) && time.Now().Before(end) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		must(res.Error, "Produce")
		return res.BaseOffset
	}
}
func kv(from, n int) []rec {
	var rs []rec
	for i := from; i < from+n; i++ {
		rs = append(rs, rec{key: []byte(fmt.Sprintf("k-%d", i)), value: []byte(fmt.Sprintf("v-%d", i))})
	}
	return rs
}

type got struct {
	offset     int64
	key, value []byte
	headers    []kafka.Header
	ts         time.Time
}

func read(partition int, offset int64, count int) []got {
	var out []got
	end := time.Now().Add(15 * time.Second)
	for len(out) < count && time.Now().Before(end) {
		res, err := cl.Fetch(ctx(), &kafka.FetchRequest{Topic: T, Partition: partition, Offset: offset, MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 300 * time.Millisecond})
		must(err, "Fetch")
		// like Produce: right after CreateTopics Kafka may not lead the partition yet
		if errors.Is(res.Error, kafka.NotLeaderForPartition) || errors.Is(res.Error, kafka.UnknownTopicOrPartition) || errors.Is(res.Error, kafka.LeaderNotAvailable) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		must(res.Error, "Fetch")
		for {
			r, err := res.Records.ReadRecord()
			if err != nil {
				break
			}
			k, _ := protocol.ReadAll(r.Key)
			v, _ := protocol.ReadAll(r.Value)
			if r.Offset >= offset {
				out = append(out, got{r.Offset, k, v, r.Headers, r.Time})
				offset = r.Offset + 1
			}
		}
	}
	return out
}
func triples(gs []got) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, fmt.Sprintf("%d:%s:%s", g.offset, g.key, g.value))
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
func listOffsets(partition int, reqs ...kafka.OffsetRequest) kafka.PartitionOffsets {
	r, err := cl.ListOffsets(ctx(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{T: reqs}})
	must(err, "ListOffsets")
	for _, p := range r.Topics[T] {
		if p.Partition == partition {
			must(p.Error, "ListOffsets")
			return p
		}
	}
	panic(failure("no ListOffsets answer"))
}
func describe() string {
	r, err := cl.DescribeConfigs(ctx(), &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{ResourceType: kafka.ResourceTypeTopic, ResourceName: T, ConfigNames: []string{"retention.ms", "cleanup.policy"}}}})
	must(err, "DescribeConfigs")
	m := map[string]string{}
	for _, e := range r.Resources[0].ConfigEntries {
		m[e.ConfigName] = e.ConfigValue
	}
	return m["retention.ms"] + "/" + m["cleanup.policy"]
}

// eventually: Kafka applies config changes through its metadata log, so a describe may lag an alter.
func eventually(f func() string, want, what string) {
	end := time.Now().Add(10 * time.Second)
	g := f()
	for g != want && time.Now().Before(end) {
		time.Sleep(200 * time.Millisecond)
		g = f()
	}
	eq(g, want, what)
}

var scenarios = map[string]func(){
	"bootstrap": func() {
		md := metadata()
		host, portS, _ := strings.Cut(bootstrap, ":")
		port, _ := strconv.Atoi(portS)
		found := false
		for _, b := range md.Brokers {
			found = found || (b.Host == host && b.Port == port)
		}
		check(found, "%s not among %v", bootstrap, md.Brokers)
		check(md.ClusterID != "", "no cluster id")
		v, err := cl.ApiVersions(ctx(), &kafka.ApiVersionsRequest{})
		must(err, "ApiVersions")
		check(len(v.ApiKeys) > 0, "no ApiVersions")
	},
	"metadata": func() {
		createTopic(T, 3)
		t := topicMD(T)
		var ids []int
		for _, p := range t.Partitions {
			ids = append(ids, p.ID)
			check(p.Leader.Host != "", "partition %d has no leader", p.ID)
		}
		eq(ids, []int{0, 1, 2}, "partition ids")
	},
	"produce-acks0":   func() { produceAcks(kafka.RequireNone) },
	"produce-acks1":   func() { produceAcks(kafka.RequireOne) },
	"produce-acksall": func() { produceAcks(kafka.RequireAll) },
	"codecs": func() {
		createTopic(T, 1)
		names := []string{"none", "gzip", "snappy", "lz4", "zstd"}
		codecs := []kafka.Compression{0, kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd}
		var want []string
		for c, name := range names {
			var rs []rec
			for i := 0; i < 5; i++ {
				v := fmt.Sprintf("%s-%d-%s", name, i, strings.Repeat("x", 100))
				rs = append(rs, rec{key: []byte(fmt.Sprintf("%s-k%d", name, i)), value: []byte(v)})
				want = append(want, fmt.Sprintf("%d:%s-k%d:%s", c*5+i, name, i, v))
			}
			eq(produce(0, kafka.RequireAll, codecs[c], rs...), int64(c*5), name+" base offset")
		}
		eq(triples(read(0, 0, 25)), want, "records read back")
	},
	"records": func() {
		createTopic(T, 1, kafka.ConfigEntry{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(2 << 20)})
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
			{key: []byte("k5"), value: []byte("v5"), headers: []kafka.Header{{Key: "dup", Value: []byte("1")}, {Key: "dup", Value: []byte("2")}}},
		}
		for i, r := range rs {
			eq(produce(0, kafka.RequireAll, 0, r), int64(i), fmt.Sprintf("offset of record %d", i))
		}
		g := read(0, 0, 6)
		eq(len(g), 6, "record count")
		check(g[1].key == nil, "record 1: key not null")
		check(g[2].value == nil, "record 2: value not null")
		check(g[3].value != nil && len(g[3].value) == 0, "record 3: value not empty-non-null")
		eq([]string{string(g[0].value), string(g[1].value), string(g[5].value)}, []string{"v0", "v1", "v5"}, "values")
		check(bytes.Equal(g[4].value, payload), "1 MiB value differs (length %d)", len(g[4].value))
		h := func(x got) string {
			var l []string
			for _, hd := range x.headers {
				l = append(l, hd.Key+"="+string(hd.Value))
			}
			return strings.Join(l, ",")
		}
		eq([]string{h(g[0]), h(g[5])}, []string{"h1=a,h2=b", "dup=1,dup=2"}, "headers")
	},
	"consume-beginning": func() {
		createTopic(T, 1)
		produce(0, kafka.RequireAll, 0, kv(0, 10)...)
		p := listOffsets(0, kafka.FirstOffsetOf(0), kafka.LastOffsetOf(0))
		eq([]int64{p.FirstOffset, p.LastOffset}, []int64{0, 10}, "first/last offsets")
		eq(triples(read(0, p.FirstOffset, 10)), expected(0, 10), "records")
	},
	"consume-end": func() {
		createTopic(T, 1)
		produce(0, kafka.RequireAll, 0, kv(0, 5)...)
		end := listOffsets(0, kafka.LastOffsetOf(0)).LastOffset
		eq(end, int64(5), "last offset")
		produce(0, kafka.RequireAll, 0, kv(5, 5)...)
		eq(triples(read(0, end, 5)), expected(5, 10), "records after the end")
	},
	"consume-timestamp": func() {
		createTopic(T, 1)
		t0 := time.Now().Truncate(time.Second).Add(-time.Minute)
		rs := kv(0, 10)
		for i := range rs {
			rs[i].ts = t0.Add(time.Duration(i) * time.Second)
		}
		produce(0, kafka.RequireAll, 0, rs...)
		p := listOffsets(0, kafka.TimeOffsetOf(0, t0.Add(4500*time.Millisecond)))
		var offs []int64
		for o := range p.Offsets {
			offs = append(offs, o)
		}
		eq(offs, []int64{5}, "offset for t0+4500")
		g := read(0, 5, 5)
		eq(triples(g), expected(5, 10), "records from t0+4500")
		var ts, want []int64
		for i, x := range g {
			ts = append(ts, x.ts.UnixMilli())
			want = append(want, t0.UnixMilli()+int64(5+i)*1000)
		}
		eq(ts, want, "timestamps")
	},
	"admin-topics": func() {
		T2 := T + "-b"
		r, err := cl.CreateTopics(ctx(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: T, NumPartitions: 2, ReplicationFactor: 1}, {Topic: T2, NumPartitions: 1, ReplicationFactor: 1}}})
		must(err, "CreateTopics")
		must(r.Errors[T], "CreateTopics")
		must(r.Errors[T2], "CreateTopics")
		r, err = cl.CreateTopics(ctx(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: T2, NumPartitions: 1, ReplicationFactor: 1}}})
		must(err, "CreateTopics")
		check(errors.Is(r.Errors[T2], kafka.TopicAlreadyExists), "creating an existing topic: %v", r.Errors[T2])
		until("both described", func() bool {
			a, b := topicMD(T), topicMD(T2)
			return a != nil && b != nil && len(a.Partitions) == 2 && len(b.Partitions) == 1
		})
		d, err := cl.DeleteTopics(ctx(), &kafka.DeleteTopicsRequest{Topics: []string{T}})
		must(err, "DeleteTopics")
		must(d.Errors[T], "DeleteTopics")
		until("topic gone", func() bool {
			names := map[string]bool{}
			for _, t := range metadata().Topics {
				names[t.Name] = true
			}
			return !names[T] && names[T2]
		})
	},
	"admin-configs": func() {
		createTopic(T, 1)
		eventually(describe, "604800000/delete", "defaults")
		r, err := cl.AlterConfigs(ctx(), &kafka.AlterConfigsRequest{Resources: []kafka.AlterConfigRequestResource{{ResourceType: kafka.ResourceTypeTopic, ResourceName: T,
			Configs: []kafka.AlterConfigRequestConfig{{Name: "retention.ms", Value: "3600000"}}}}})
		must(err, "AlterConfigs")
		for _, e := range r.Errors {
			must(e, "AlterConfigs")
		}
		eventually(describe, "3600000/delete", "after AlterConfigs")
		ir, err := cl.IncrementalAlterConfigs(ctx(), &kafka.IncrementalAlterConfigsRequest{Resources: []kafka.IncrementalAlterConfigsRequestResource{{ResourceType: kafka.ResourceTypeTopic, ResourceName: T,
			Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: "cleanup.policy", Value: "compact", ConfigOperation: kafka.ConfigOperationSet}, {Name: "retention.ms", ConfigOperation: kafka.ConfigOperationDelete}}}}})
		must(err, "IncrementalAlterConfigs")
		for _, x := range ir.Resources {
			must(x.Error, "IncrementalAlterConfigs")
		}
		eventually(describe, "604800000/compact", "after IncrementalAlterConfigs")
	},
	"admin-partitions": func() {
		createTopic(T, 1)
		r, err := cl.CreatePartitions(ctx(), &kafka.CreatePartitionsRequest{Topics: []kafka.TopicPartitionsConfig{{Name: T, Count: 3}}})
		must(err, "CreatePartitions")
		must(r.Errors[T], "CreatePartitions")
		until("3 partitions", func() bool { t := topicMD(T); return t != nil && len(t.Partitions) == 3 })
		eq(produce(2, kafka.RequireAll, 0, rec{key: []byte("k"), value: []byte("on-2")}), int64(0), "offset on partition 2")
		eq(triples(read(2, 0, 1)), []string{"0:k:on-2"}, "record on partition 2")
	},
}

func produceAcks(acks kafka.RequiredAcks) {
	createTopic(T, 1)
	base := produce(0, acks, 0, kv(0, 10)...)
	if acks != kafka.RequireNone {
		eq(base, int64(0), "base offset")
	} else {
		// Against Kafka 4.4 the pooled connection that carried the acks=0 Produce fails the next
		// request with EOF, so read on a fresh transport.
		cl = &kafka.Client{Addr: kafka.TCP(bootstrap), Timeout: 20 * time.Second, Transport: &kafka.Transport{}}
	}
	eq(triples(read(0, 0, 10)), expected(0, 10), "records")
}

func main() {
	var scenario string
	flag.StringVar(&bootstrap, "bootstrap", "", "host:port")
	flag.StringVar(&scenario, "scenario", "", "scenario name")
	flag.StringVar(&T, "topic", "", "topic")
	flag.Parse()
	cl = &kafka.Client{Addr: kafka.TCP(bootstrap), Timeout: 20 * time.Second}
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
			fmt.Fprintf(os.Stderr, "%s: kafka-go: scenario %s is not implemented\n", scenario, scenario)
			code = 3
			return
		}
		fn()
	}()
	os.Exit(code)
}
