// franz-go (kgo + kadm) scenario program for test-compat/run.mjs.
//
//	compat-franz-go --bootstrap HOST:PORT --scenario NAME --topic T
//
// Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
// Partition reads use ConsumePartitions (no group); group scenarios use ConsumerGroup with
// BlockRebalanceOnPoll, so a member commits what it polled before its partitions can move.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	bootstrap, T string
	closers      []func()
)

type unsupported struct{ msg string }

func (u unsupported) Error() string { return u.msg }

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

func until(what string, f func() bool, d time.Duration) {
	end := time.Now().Add(d)
	for !f() {
		check(time.Now().Before(end), "timed out waiting for %s", what)
		time.Sleep(200 * time.Millisecond)
	}
}
func ctxT(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	closers = append(closers, cancel)
	return ctx
}
func vals(n int, p string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", p, i)
	}
	return out
}

func client(opts ...kgo.Opt) *kgo.Client {
	base := []kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.ClientID("compat-franz-go"), kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RetryTimeout(20 * time.Second)}
	cl, err := kgo.NewClient(append(base, opts...)...)
	must(err, "kgo.NewClient")
	closers = append(closers, cl.Close)
	return cl
}
func admin() *kadm.Client { return kadm.NewClient(client()) }

func createTopic(adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	r, err := adm.CreateTopic(ctxT(30*time.Second), partitions, 1, configs, topic)
	must(err, "CreateTopic")
	must(r.Err, "CreateTopic "+topic)
	until(topic+" has leaders", func() bool {
		md, err := adm.Metadata(ctxT(5*time.Second), topic)
		if err != nil {
			return false
		}
		td, ok := md.Topics[topic]
		if !ok || td.Err != nil || len(td.Partitions) != int(partitions) {
			return false
		}
		for _, p := range td.Partitions {
			if p.Leader < 0 {
				return false
			}
		}
		return true
	}, 15*time.Second)
}

func rec(partition int32, key, value string) *kgo.Record {
	return &kgo.Record{Topic: T, Partition: partition, Key: []byte(key), Value: []byte(value)}
}
func produce(cl *kgo.Client, recs ...*kgo.Record) []int64 {
	res := cl.ProduceSync(ctxT(30*time.Second), recs...)
	must(res.FirstErr(), "produce")
	offs := make([]int64, len(res))
	for i, r := range res {
		offs[i] = r.Record.Offset
	}
	return offs
}
func produceN(cl *kgo.Client, n int, prefix string) []int64 {
	var rs []*kgo.Record
	for i, v := range vals(n, prefix) {
		rs = append(rs, rec(0, fmt.Sprintf("k-%d", i), v))
	}
	return produce(cl, rs...)
}

// read returns `count` records of topic/partition from offset `at` on.
func read(topic string, partition int32, at kgo.Offset, count int, opts ...kgo.Opt) []*kgo.Record {
	cl := client(append([]kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: at}}),
		kgo.FetchMaxBytes(8 << 20), kgo.FetchMaxPartitionBytes(4 << 20)}, opts...)...)
	defer cl.Close()
	var out []*kgo.Record
	end := time.Now().Add(15 * time.Second)
	for len(out) < count && time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				must(e.Err, fmt.Sprintf("fetch %s/%d", e.Topic, e.Partition))
			}
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}
func triples(rs []*kgo.Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d:%s:%s", r.Offset, r.Key, r.Value))
	}
	return out
}
func expected(from, to int, kp, vp string) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%d:%s%d:%s%d", i, kp, i, vp, i))
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

var scenarios = map[string]func(){
	"bootstrap": func() {
		adm := admin()
		md, err := adm.BrokerMetadata(ctxT(15 * time.Second))
		must(err, "BrokerMetadata")
		check(len(md.Brokers) > 0, "no brokers")
		host, portS, _ := strings.Cut(bootstrap, ":")
		port, _ := strconv.Atoi(portS)
		found := false
		for _, b := range md.Brokers {
			found = found || (b.Host == host && int(b.Port) == port)
		}
		check(found, "%s not among %v", bootstrap, md.Brokers)
		check(md.Cluster != "", "no cluster id")
		vs, err := adm.ApiVersions(ctxT(15 * time.Second))
		must(err, "ApiVersions")
		check(len(vs) > 0, "no ApiVersions answers")
	},
	"metadata": func() {
		adm := admin()
		createTopic(adm, T, 3, nil)
		md, err := adm.Metadata(ctxT(15*time.Second), T)
		must(err, "Metadata")
		td := md.Topics[T]
		eq(td.Partitions.Numbers(), []int32{0, 1, 2}, "partition ids")
		brokers := map[int32]bool{}
		for _, b := range md.Brokers {
			brokers[b.NodeID] = true
		}
		for _, p := range td.Partitions {
			check(brokers[p.Leader], "leader %d is not a broker", p.Leader)
		}
		check(td.ID != kadm.TopicID{}, "no topic id")
	},
	"produce-acks0":   func() { produceAcks(kgo.NoAck()) },
	"produce-acks1":   func() { produceAcks(kgo.LeaderAck()) },
	"produce-acksall": func() { produceAcks(kgo.AllISRAcks()) },
	"codecs": func() {
		createTopic(admin(), T, 1, nil)
		names := []string{"none", "gzip", "snappy", "lz4", "zstd"}
		codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
		var want []string
		for c, name := range names {
			cl := client(kgo.ProducerBatchCompression(codecs[c]), kgo.ProducerLinger(50*time.Millisecond))
			var rs []*kgo.Record
			for i := 0; i < 5; i++ {
				v := fmt.Sprintf("%s-%d-%s", name, i, strings.Repeat("x", 100))
				rs = append(rs, rec(0, fmt.Sprintf("%s-k%d", name, i), v))
				want = append(want, fmt.Sprintf("%d:%s-k%d:%s", c*5+i, name, i, v))
			}
			eq(produce(cl, rs...), seq(int64(c*5), int64(c*5+5)), name+" offsets")
			cl.Close()
		}
		eq(triples(read(T, 0, kgo.NewOffset().AtStart(), 25)), want, "records read back")
	},
	"records": func() {
		mb := strconv.Itoa(2 << 20)
		createTopic(admin(), T, 1, map[string]*string{"max.message.bytes": &mb})
		cl := client(kgo.ProducerBatchMaxBytes(4 << 20))
		payload := make([]byte, 1<<20)
		for i := range payload {
			payload[i] = byte(i % 251)
		}
		rs := []*kgo.Record{
			{Topic: T, Key: []byte("k0"), Value: []byte("v0"), Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte("a")}, {Key: "h2", Value: []byte("b")}}},
			{Topic: T, Key: nil, Value: []byte("v1")},
			{Topic: T, Key: []byte("k2"), Value: nil},
			{Topic: T, Key: []byte("k3"), Value: []byte{}},
			{Topic: T, Key: []byte("k4"), Value: payload},
			{Topic: T, Key: []byte("k5"), Value: []byte("v5"), Headers: []kgo.RecordHeader{{Key: "dup", Value: []byte("1")}, {Key: "dup", Value: []byte("2")}, {Key: "nullh", Value: nil}}},
		}
		for i, r := range rs {
			eq(produce(cl, r), []int64{int64(i)}, fmt.Sprintf("offset of record %d", i))
		}
		got := read(T, 0, kgo.NewOffset().AtStart(), 6)
		eq(len(got), 6, "record count")
		var offs []int64
		var keys []string
		for _, r := range got {
			offs = append(offs, r.Offset)
			if r.Key == nil {
				keys = append(keys, "<nil>")
			} else {
				keys = append(keys, string(r.Key))
			}
		}
		eq(offs, seq(0, 6), "offsets")
		eq(keys, []string{"k0", "<nil>", "k2", "k3", "k4", "k5"}, "keys")
		check(got[2].Value == nil, "record 2: value is not null")
		check(got[3].Value != nil && len(got[3].Value) == 0, "record 3: value is not empty-non-null")
		eq([]string{string(got[0].Value), string(got[1].Value), string(got[5].Value)}, []string{"v0", "v1", "v5"}, "values")
		check(bytes.Equal(got[4].Value, payload), "1 MiB value differs (length %d)", len(got[4].Value))
		eq(hdrs(got[0]), "h1=a,h2=b", "headers")
		eq(hdrs(got[5]), "dup=1,dup=2,nullh=<nil>", "repeated and null headers")
		eq(hdrs(got[1]), "", "no headers")
	},
	"consume-beginning": func() {
		adm := admin()
		createTopic(adm, T, 1, nil)
		produceN(client(), 10, "v")
		so, err := adm.ListStartOffsets(ctxT(15*time.Second), T)
		must(err, "ListStartOffsets")
		s, _ := so.Lookup(T, 0)
		eo, err := adm.ListEndOffsets(ctxT(15*time.Second), T)
		must(err, "ListEndOffsets")
		e, _ := eo.Lookup(T, 0)
		eq([]int64{s.Offset, e.Offset}, []int64{0, 10}, "start/end offsets")
		eq(triples(read(T, 0, kgo.NewOffset().AtStart(), 10)), expected(0, 10, "k-", "v-"), "records")
	},
	"consume-end": func() {
		adm := admin()
		createTopic(adm, T, 1, nil)
		p := client()
		produceN(p, 5, "v")
		// franz-go resolves AtEnd() asynchronously with no way to observe the position, so the
		// end is listed explicitly (ListOffsets latest) and consumed from there.
		eo, err := adm.ListEndOffsets(ctxT(15*time.Second), T)
		must(err, "ListEndOffsets")
		e, _ := eo.Lookup(T, 0)
		eq(e.Offset, int64(5), "end offset")
		var rs []*kgo.Record
		for i := 5; i < 10; i++ {
			rs = append(rs, rec(0, fmt.Sprintf("k-%d", i), fmt.Sprintf("v-%d", i)))
		}
		produce(p, rs...)
		eq(triples(read(T, 0, kgo.NewOffset().At(e.Offset), 5)), expected(5, 10, "k-", "v-"), "records after the end")
	},
	"consume-timestamp": func() {
		adm := admin()
		createTopic(adm, T, 1, nil)
		t0 := time.Now().Truncate(time.Second).Add(-time.Minute)
		var rs []*kgo.Record
		for i := 0; i < 10; i++ {
			r := rec(0, fmt.Sprintf("k-%d", i), fmt.Sprintf("v-%d", i))
			r.Timestamp = t0.Add(time.Duration(i) * time.Second)
			rs = append(rs, r)
		}
		produce(client(), rs...)
		lo, err := adm.ListOffsetsAfterMilli(ctxT(15*time.Second), t0.UnixMilli()+4500, T)
		must(err, "ListOffsetsAfterMilli")
		at, _ := lo.Lookup(T, 0)
		eq([]int64{at.Offset, at.Timestamp}, []int64{5, t0.UnixMilli() + 5000}, "offset/timestamp for t0+4500")
		lo, err = adm.ListOffsetsAfterMilli(ctxT(15*time.Second), time.Now().Add(time.Hour).UnixMilli(), T)
		must(err, "ListOffsetsAfterMilli(future)")
		fut, _ := lo.Lookup(T, 0)
		eq(fut.Offset, int64(10), "offset for a future time (kadm: the end offset)")
		got := read(T, 0, kgo.NewOffset().At(at.Offset), 5)
		eq(triples(got), expected(5, 10, "k-", "v-"), "records from t0+4500")
		var ts []int64
		var want []int64
		for i, r := range got {
			ts = append(ts, r.Timestamp.UnixMilli())
			want = append(want, t0.UnixMilli()+int64(5+i)*1000)
		}
		eq(ts, want, "timestamps")
	},
	"admin-topics": func() {
		adm := admin()
		T2 := T + "-b"
		r1, err := adm.CreateTopic(ctxT(15*time.Second), 2, 1, nil, T)
		must(err, "CreateTopic")
		must(r1.Err, "CreateTopic "+T)
		r2, err := adm.CreateTopic(ctxT(15*time.Second), 1, 1, nil, T2)
		must(err, "CreateTopic")
		must(r2.Err, "CreateTopic "+T2)
		r3, _ := adm.CreateTopic(ctxT(15*time.Second), 1, 1, nil, T2)
		check(r3.Err != nil && strings.Contains(r3.Err.Error(), "TOPIC_ALREADY_EXISTS"), "creating an existing topic: %v", r3.Err)
		until("both listed", func() bool {
			td, err := adm.ListTopics(ctxT(5 * time.Second))
			return err == nil && td.Has(T) && td.Has(T2)
		}, 15*time.Second)
		td, err := adm.ListTopics(ctxT(5*time.Second), T, T2)
		must(err, "ListTopics")
		eq([]int{len(td[T].Partitions), len(td[T2].Partitions)}, []int{2, 1}, "partitions")
		dr, err := adm.DeleteTopics(ctxT(15*time.Second), T)
		must(err, "DeleteTopics")
		must(dr.Error(), "DeleteTopics")
		until("topic gone", func() bool {
			td, err := adm.ListTopics(ctxT(5 * time.Second))
			return err == nil && !td.Has(T) && td.Has(T2)
		}, 15*time.Second)
	},
	"admin-configs": func() {
		adm := admin()
		createTopic(adm, T, 1, nil)
		describe := func() string {
			rc, err := adm.DescribeTopicConfigs(ctxT(15*time.Second), T)
			must(err, "DescribeTopicConfigs")
			r, err := rc.On(T, nil)
			must(err, "DescribeTopicConfigs "+T)
			must(r.Err, "DescribeTopicConfigs "+T)
			m := map[string]string{}
			for _, c := range r.Configs {
				m[c.Key] = c.MaybeValue()
			}
			return m["retention.ms"] + "/" + m["cleanup.policy"]
		}
		eventually(describe, "604800000/delete", "default retention.ms/cleanup.policy")
		ret := "3600000"
		rs, err := adm.AlterTopicConfigsState(ctxT(15*time.Second), []kadm.AlterConfig{{Name: "retention.ms", Value: &ret}}, T)
		must(err, "AlterConfigs")
		must(firstErr(rs), "AlterConfigs")
		eventually(describe, "3600000/delete", "after AlterConfigs retention.ms")
		compact := "compact"
		rs, err = adm.AlterTopicConfigs(ctxT(15*time.Second), []kadm.AlterConfig{
			{Op: kadm.SetConfig, Name: "cleanup.policy", Value: &compact},
			{Op: kadm.DeleteConfig, Name: "retention.ms"}}, T)
		must(err, "IncrementalAlterConfigs")
		must(firstErr(rs), "IncrementalAlterConfigs")
		eventually(describe, "604800000/compact", "after SET cleanup.policy + DELETE retention.ms")
	},
	"admin-partitions": func() {
		adm := admin()
		createTopic(adm, T, 1, nil)
		rs, err := adm.UpdatePartitions(ctxT(15*time.Second), 3, T)
		must(err, "CreatePartitions")
		must(rs.Error(), "CreatePartitions")
		until("3 partitions", func() bool {
			td, err := adm.ListTopics(ctxT(5*time.Second), T)
			return err == nil && len(td[T].Partitions) == 3
		}, 15*time.Second)
		eq(produce(client(), rec(2, "k", "on-2")), []int64{0}, "offset on partition 2")
		eq(triples(read(T, 2, kgo.NewOffset().AtStart(), 1)), []string{"0:k:on-2"}, "record on partition 2")
	},
	"admin-delete-records": func() {
		adm := admin()
		createTopic(adm, T, 1, nil)
		produceN(client(), 10, "v")
		var os kadm.Offsets
		os.Add(kadm.Offset{Topic: T, Partition: 0, At: 4})
		rs, err := adm.DeleteRecords(ctxT(15*time.Second), os)
		must(err, "DeleteRecords")
		r, ok := rs.Lookup(T, 0)
		check(ok, "no DeleteRecords answer")
		must(r.Err, "DeleteRecords")
		eq(r.LowWatermark, int64(4), "low watermark")
		so, err := adm.ListStartOffsets(ctxT(15*time.Second), T)
		must(err, "ListStartOffsets")
		s, _ := so.Lookup(T, 0)
		eq(s.Offset, int64(4), "start offset")
		eq(triples(read(T, 0, kgo.NewOffset().AtStart(), 6)), expected(4, 10, "k-", "v-"), "records after the low watermark")
	},
	"idempotent": func() {
		createTopic(admin(), T, 1, nil)
		// idempotence is franz-go's default; four produce calls continue one sequence
		cl := client(kgo.RequiredAcks(kgo.AllISRAcks()))
		var offs []int64
		for b := 0; b < 4; b++ {
			var rs []*kgo.Record
			for i := b * 5; i < b*5+5; i++ {
				rs = append(rs, rec(0, fmt.Sprintf("k-%d", i), fmt.Sprintf("v-%d", i)))
			}
			offs = append(offs, produce(cl, rs...)...)
		}
		eq(offs, seq(0, 20), "returned offsets")
		got := read(T, 0, kgo.NewOffset().AtStart(), 20)
		eq(triples(got), expected(0, 20, "k-", "v-"), "records")
		check(got[0].ProducerID >= 0, "records carry no producer id (%d)", got[0].ProducerID)
	},
	"group-rebalance":    groupRebalance,
	"cooperative-sticky": cooperativeSticky,
	"transactions":       transactions,
	"admin-groups":       adminGroups,
}

func hdrs(r *kgo.Record) string {
	var l []string
	for _, h := range r.Headers {
		v := string(h.Value)
		if h.Value == nil {
			v = "<nil>"
		}
		l = append(l, h.Key+"="+v)
	}
	return strings.Join(l, ",")
}
func firstErr(rs kadm.AlterConfigsResponses) error {
	for _, r := range rs {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func produceAcks(acks kgo.Acks) {
	createTopic(admin(), T, 1, nil)
	opts := []kgo.Opt{kgo.RequiredAcks(acks)}
	if acks != kgo.AllISRAcks() {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	offs := produceN(client(opts...), 10, "v")
	if acks != kgo.NoAck() {
		eq(offs, seq(0, 10), "returned offsets")
	}
	eq(triples(read(T, 0, kgo.NewOffset().AtStart(), 10)), expected(0, 10, "k-", "v-"), "records")
}

// ---- groups ----
type member struct {
	name    string
	cl      *kgo.Client
	mu      sync.Mutex
	owned   map[int32]bool
	revoked []int32
	closed  bool
}

type tally struct {
	mu   sync.Mutex
	seen map[string]int
}

func (t *tally) have(prefix string, n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range vals(n, prefix) {
		if t.seen[v] == 0 {
			return false
		}
	}
	return true
}
func (t *tally) noDups(total int) {
	var d []string
	for v, n := range t.seen {
		if n > 1 {
			d = append(d, v)
		}
	}
	check(len(d) == 0, "duplicates: %v", d)
	eq(len(t.seen), total, "distinct records consumed")
}

func newMember(name, group string, seen *tally, opts ...kgo.Opt) *member {
	m := &member{name: name, owned: map[int32]bool{}}
	base := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeTopics(T), kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(10 * time.Second), kgo.HeartbeatInterval(500 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			m.mu.Lock()
			for _, p := range a[T] {
				m.owned[p] = true
			}
			m.mu.Unlock()
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			m.mu.Lock()
			for _, p := range r[T] {
				delete(m.owned, p)
				m.revoked = append(m.revoked, p)
			}
			m.mu.Unlock()
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			m.mu.Lock()
			for _, p := range r[T] {
				delete(m.owned, p)
			}
			m.mu.Unlock()
		}),
	}
	m.cl = client(append(base, opts...)...)
	go func() {
		for {
			m.mu.Lock()
			closed := m.closed
			m.mu.Unlock()
			if closed {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			fs := m.cl.PollFetches(ctx)
			cancel()
			if fs.IsClientClosed() {
				return
			}
			var recs []*kgo.Record
			fs.EachRecord(func(r *kgo.Record) { recs = append(recs, r) })
			if len(recs) > 0 {
				seen.mu.Lock()
				for _, r := range recs {
					seen.seen[string(r.Value)]++
				}
				seen.mu.Unlock()
				if err := m.cl.CommitRecords(context.Background(), recs...); err != nil {
					fmt.Fprintf(os.Stderr, "%s: commit: %v\n", m.name, err)
				}
			}
			m.cl.AllowRebalance()
		}
	}()
	return m
}
func (m *member) ownedSet() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int32
	for p := range m.owned {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
func (m *member) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cl.Close() // leaves the group
}
func cover(ms ...*member) bool {
	all := map[int32]int{}
	for _, m := range ms {
		if len(m.ownedSet()) == 0 {
			return false
		}
		for _, p := range m.ownedSet() {
			all[p]++
		}
	}
	return len(all) == 3 && all[0] == 1 && all[1] == 1 && all[2] == 1
}
func produceSpread(prefix string, n int) {
	var rs []*kgo.Record
	for i, v := range vals(n, prefix) {
		rs = append(rs, rec(int32(i%3), v, v))
	}
	cl := client()
	produce(cl, rs...)
	cl.Close()
}

func groupRebalance() {
	createTopic(admin(), T, 3, nil)
	produceSpread("a", 30)
	g, seen := T+"-g", &tally{seen: map[string]int{}}
	eager := kgo.Balancers(kgo.RangeBalancer())
	c1, c2, c3 := newMember("c1", g, seen, eager), newMember("c2", g, seen, eager), newMember("c3", g, seen, eager)
	until("one partition each", func() bool {
		return len(c1.ownedSet()) == 1 && len(c2.ownedSet()) == 1 && len(c3.ownedSet()) == 1 && cover(c1, c2, c3)
	}, 60*time.Second)
	until("30 records", func() bool { return seen.have("a", 30) }, 30*time.Second)
	c3.close()
	until("two members cover 3 partitions", func() bool { return cover(c1, c2) }, 60*time.Second)
	produceSpread("b", 30)
	until("30 more records", func() bool { return seen.have("b", 30) }, 30*time.Second)
	c1.close()
	c2.close()
	produceSpread("c", 9)
	c4 := newMember("c4", g, seen, eager)
	until("resume from commits", func() bool { return seen.have("c", 9) }, 60*time.Second)
	time.Sleep(time.Second)
	c4.close()
	seen.noDups(69)
}

func cooperativeSticky() {
	createTopic(admin(), T, 3, nil)
	produceSpread("a", 30)
	g, seen := T+"-g", &tally{seen: map[string]int{}}
	coop := kgo.Balancers(kgo.CooperativeStickyBalancer())
	a := newMember("A", g, seen, coop)
	until("A owns all", func() bool { return len(a.ownedSet()) == 3 }, 60*time.Second)
	until("30 records", func() bool { return seen.have("a", 30) }, 30*time.Second)
	b := newMember("B", g, seen, coop)
	until("A and B share", func() bool { return cover(a, b) }, 60*time.Second)
	a.mu.Lock()
	moved := append([]int32(nil), a.revoked...)
	a.mu.Unlock()
	sort.Slice(moved, func(i, j int) bool { return moved[i] < moved[j] })
	eq(moved, b.ownedSet(), "A was revoked exactly what moved to B (cooperative)")
	produceSpread("b", 30)
	until("30 more", func() bool { return seen.have("b", 30) }, 30*time.Second)
	a.close()
	b.close()
	seen.noDups(60)
}

func transactions() {
	createTopic(admin(), T, 1, nil)
	cl := client(kgo.TransactionalID(T + "-tx"))
	for _, tx := range []struct {
		prefix string
		commit kgo.TransactionEndTry
	}{{"t1", kgo.TryCommit}, {"t2", kgo.TryAbort}, {"t3", kgo.TryCommit}} {
		must(cl.BeginTransaction(), "BeginTransaction")
		var rs []*kgo.Record
		for _, v := range vals(5, tx.prefix) {
			rs = append(rs, rec(0, v, v))
		}
		produce(cl, rs...)
		must(cl.EndTransaction(ctxT(30*time.Second), tx.commit), "EndTransaction")
	}
	at := func(prefix string, base int) []string {
		var out []string
		for i, v := range vals(5, prefix) {
			out = append(out, fmt.Sprintf("%d:%s:%s", base+i, v, v))
		}
		return out
	}
	eq(triples(read(T, 0, kgo.NewOffset().AtStart(), 10, kgo.FetchIsolationLevel(kgo.ReadCommitted()))), append(at("t1", 0), at("t3", 12)...), "read_committed")
	eq(triples(read(T, 0, kgo.NewOffset().AtStart(), 15, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))), append(append(at("t1", 0), at("t2", 6)...), at("t3", 12)...), "read_uncommitted")
}

func adminGroups() {
	adm := admin()
	createTopic(adm, T, 1, nil)
	produceN(client(), 10, "v")
	g := T + "-g"
	c := client(kgo.ConsumerGroup(g), kgo.ConsumeTopics(T), kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	end := time.Now().Add(30 * time.Second)
	done := false
	for !done {
		check(time.Now().Before(end), "timed out consuming")
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := c.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset == 6 && !done {
				must(c.CommitRecords(ctxT(15*time.Second), r), "CommitRecords")
				done = true
			}
		})
	}
	c.Close()
	lg, err := adm.ListGroups(ctxT(15 * time.Second))
	must(err, "ListGroups")
	_, ok := lg[g]
	check(ok, "ListGroups misses %s", g)
	dg, err := adm.DescribeGroups(ctxT(15*time.Second), g)
	must(err, "DescribeGroups")
	d := dg[g]
	must(d.Err, "DescribeGroups")
	eq(fmt.Sprintf("%s/%d", d.State, len(d.Members)), "Empty/0", "describe")
	fo, err := adm.FetchOffsets(ctxT(15*time.Second), g)
	must(err, "FetchOffsets")
	o, ok := fo.Lookup(T, 0)
	check(ok, "no committed offset for partition 0")
	eq(o.At, int64(7), "committed offset")
	dr, err := adm.DeleteGroups(ctxT(15*time.Second), g)
	must(err, "DeleteGroups")
	must(dr.Error(), "DeleteGroups")
	lg, err = adm.ListGroups(ctxT(15 * time.Second))
	must(err, "ListGroups")
	_, ok = lg[g]
	check(!ok, "group still listed after delete")
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
			fmt.Fprintf(os.Stderr, "%s: %v\n", scenario, unsupported{"franz-go: scenario " + scenario + " is not implemented"})
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
