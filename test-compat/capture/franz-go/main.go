// Golden-frame capture program for franz-go (github.com/twmb/franz-go/pkg/kgo).
// Driven by test-compat/capture/run.sh:
//
//	capture --bootstrap HOST:PORT --client-id ID --topic T --group G --records records.json
//	        (--phase produce --codec C | --phase consume --expect N | --phase admin --admin-topic T2
//	         | --phase txn --transactional-id X)
//
// Prints one line `RESULT {json}` on success.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type header struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

type rec struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       *string  `json:"key"`
	Value     *string  `json:"value"`
	Headers   []header `json:"headers"`
}

type spec struct {
	Partition int32 `json:"partition"`
	Records   []struct {
		Key     string   `json:"key"`
		Value   *string  `json:"value"`
		Headers []header `json:"headers"`
	} `json:"records"`
}

var (
	bootstrap  = flag.String("bootstrap", "", "")
	clientID   = flag.String("client-id", "", "")
	topic      = flag.String("topic", "", "")
	group      = flag.String("group", "", "")
	records    = flag.String("records", "", "")
	phase      = flag.String("phase", "", "")
	codec      = flag.String("codec", "none", "")
	expect     = flag.Int("expect", 0, "")
	protocol   = flag.String("group-protocol", "classic", "")
	adminTopic = flag.String("admin-topic", "", "")
	txnID      = flag.String("transactional-id", "", "")
	txnGroup   = flag.String("txn-group", "", "")
	txnOffset  = flag.Int64("txn-offset", 0, "")
)

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func str(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func main() {
	flag.Parse()
	raw, err := os.ReadFile(*records)
	if err != nil {
		die("read records: %v", err)
	}
	var sp spec
	if err := json.Unmarshal(raw, &sp); err != nil {
		die("parse records: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var result any
	switch *phase {
	case "produce", "txn":
		result = produce(ctx, sp)
	case "admin":
		result = admin(ctx)
	default:
		result = consume(ctx, sp)
	}
	out, _ := json.Marshal(result)
	fmt.Println("RESULT " + string(out))
}

func produce(ctx context.Context, sp spec) any {
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	c, ok := codecs[*codec]
	if !ok {
		die("unknown codec %s", *codec)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(*bootstrap),
		kgo.ClientID(*clientID),
		kgo.ProducerBatchCompression(c),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(time.Second), // one batch, sent on Flush
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}
	txn := *phase == "txn"
	if txn {
		opts = append(opts, kgo.TransactionalID(*txnID))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		die("client: %v", err)
	}
	defer cl.Close()
	if txn {
		if err := cl.BeginTransaction(); err != nil {
			die("begin: %v", err)
		}
	}
	var recs []*kgo.Record
	for _, r := range sp.Records {
		kr := &kgo.Record{Topic: *topic, Partition: sp.Partition, Key: []byte(r.Key)}
		if r.Value != nil {
			kr.Value = []byte(*r.Value)
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: []byte(*h.Value)})
		}
		recs = append(recs, kr)
	}
	offsets := make([]int64, len(recs))
	errs := make(chan error, len(recs))
	for i, r := range recs {
		i := i
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			offsets[i] = r.Offset
			errs <- err
		})
	}
	if err := cl.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	for range recs {
		if err := <-errs; err != nil {
			die("produce: %v", err)
		}
	}
	if txn {
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			die("commit: %v", err)
		}
	}
	return map[string]any{"produced": len(recs), "codec": *codec, "offsets": offsets, "transactional": txn}
}

func consume(ctx context.Context, sp spec) any {
	opts := []kgo.Opt{
		kgo.SeedBrokers(*bootstrap),
		kgo.ClientID(*clientID),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.SessionTimeout(10 * time.Second),
		kgo.HeartbeatInterval(500 * time.Millisecond),
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		die("client: %v", err)
	}
	var got []rec
	var last int64 = -1
	for len(got) < *expect {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			die("timeout: %d/%d records", len(got), *expect)
		}
		fs.EachError(func(t string, p int32, err error) { fmt.Fprintf(os.Stderr, "fetch %s/%d: %v\n", t, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			var hs []header
			for _, h := range r.Headers {
				hs = append(hs, header{Key: h.Key, Value: str(h.Value)})
			}
			got = append(got, rec{r.Partition, r.Offset, str(r.Key), str(r.Value), hs})
			last = r.Offset
		})
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		die("commit: %v", err)
	}
	time.Sleep(2500 * time.Millisecond) // let a Heartbeat go out
	adm := kadm.NewClient(cl)
	fetched, err := adm.FetchOffsets(ctx, *group)
	if err != nil {
		die("fetch offsets: %v", err)
	}
	committed := int64(-1)
	if o, ok := fetched.Lookup(*topic, sp.Partition); ok {
		committed = o.At
	}
	cl.LeaveGroup()
	cl.Close()
	return map[string]any{"consumed": len(got), "lastOffset": last, "committed": committed, "records": got}
}

func admin(ctx context.Context) any {
	cl, err := kgo.NewClient(kgo.SeedBrokers(*bootstrap), kgo.ClientID(*clientID))
	if err != nil {
		die("client: %v", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, *adminTopic); err != nil {
		die("create: %v", err)
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, *adminTopic)
	if err != nil {
		die("describe configs: %v", err)
	}
	groups, err := adm.ListGroups(ctx)
	if err != nil {
		die("list groups: %v", err)
	}
	described, err := adm.DescribeGroups(ctx, *group)
	if err != nil {
		die("describe groups: %v", err)
	}
	state := ""
	if g, ok := described[*group]; ok {
		state = g.State
	}
	if _, err := adm.DeleteTopics(ctx, *adminTopic); err != nil {
		die("delete: %v", err)
	}
	return map[string]any{"created": *adminTopic, "configs": len(cfgs), "groups": len(groups), "groupState": state}
}
