// admin-broker-configs and admin-log-dirs (see admin.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// describeBroker: "value source [synonym source=value ...]" of one config of broker resource name ("" = cluster default).
func describeBroker(adm *kadm.Client, name, key string) string {
	var rcs kadm.ResourceConfigs
	var err error
	if name == "" {
		rcs, err = adm.DescribeBrokerConfigs(ctxT(15 * time.Second))
	} else {
		id, _ := strconv.Atoi(name)
		rcs, err = adm.DescribeBrokerConfigs(ctxT(15*time.Second), int32(id))
	}
	must(err, "DescribeBrokerConfigs")
	eq(len(rcs), 1, "DescribeBrokerConfigs resources")
	must(rcs[0].Err, "DescribeBrokerConfigs "+name)
	for _, c := range rcs[0].Configs {
		if c.Key == key {
			return configLine(c)
		}
	}
	return "absent"
}
func configLine(c kadm.Config) string {
	var syn []string
	for _, s := range c.Synonyms {
		syn = append(syn, fmt.Sprintf("%s:%s=%s", s.Source, s.Key, str(s.Value)))
	}
	return fmt.Sprintf("%s %s [%s]", str(c.Value), c.Source, strings.Join(syn, " "))
}
func dynamicDefaults(adm *kadm.Client) []string {
	rcs, err := adm.DescribeBrokerConfigs(ctxT(15 * time.Second))
	must(err, "DescribeBrokerConfigs default")
	var out []string
	for _, c := range rcs[0].Configs {
		// Kafka 4.4 formats its storage with min.insync.replicas as a cluster default (ELR): only what this scenario sets
		if strings.HasPrefix(c.Key, "log.") {
			out = append(out, c.Key+"="+str(c.Value)+" "+c.Source.String())
		}
	}
	sort.Strings(out)
	return out
}
func topicConfig(adm *kadm.Client, key string) string {
	rcs, err := adm.DescribeTopicConfigs(ctxT(15*time.Second), T)
	must(err, "DescribeTopicConfigs")
	must(rcs[0].Err, "DescribeTopicConfigs")
	for _, c := range rcs[0].Configs {
		if c.Key == key {
			return configLine(c)
		}
	}
	return "absent"
}

func adminBrokerConfigs() {
	adm := admin()
	node := nodeID(adm)
	id := strconv.Itoa(int(node))
	createTopic(adm, T, 1, nil)
	alter := func(ops []kadm.AlterConfig, brokers ...int32) string {
		rs, err := adm.AlterBrokerConfigs(ctxT(15*time.Second), ops, brokers...)
		must(err, "IncrementalAlterConfigs broker")
		eq(len(rs), 1, "IncrementalAlterConfigs results")
		if rs[0].Err != nil {
			return errOf(rs[0].Err) + ": " + rs[0].ErrMessage
		}
		return "NONE"
	}
	set := func(k, v string) kadm.AlterConfig {
		return kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(v)}
	}
	del := func(k string) kadm.AlterConfig { return kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k} }

	eq(alter([]kadm.AlterConfig{set("log.retention.ms", "123456789")}, node), "NONE", "set log.retention.ms on the node")
	eventually(func() string { return describeBroker(adm, id, "log.retention.ms") },
		"123456789 DYNAMIC_BROKER_CONFIG [DYNAMIC_BROKER_CONFIG:log.retention.ms=123456789 DEFAULT_CONFIG:log.retention.hours=168]", "the node's log.retention.ms")
	eventually(func() string { return topicConfig(adm, "retention.ms") },
		"123456789 DYNAMIC_BROKER_CONFIG [DYNAMIC_BROKER_CONFIG:log.retention.ms=123456789 DEFAULT_CONFIG:log.retention.hours=168]", "the topic's retention.ms follows the node")

	eq(alter([]kadm.AlterConfig{set("log.segment.bytes", "1048576"), set("log.retention.ms", "1000")}), "NONE", "set the cluster default")
	eventually(func() string { return strings.Join(dynamicDefaults(adm), ", ") },
		"log.retention.ms=1000 DYNAMIC_DEFAULT_BROKER_CONFIG, log.segment.bytes=1048576 DYNAMIC_DEFAULT_BROKER_CONFIG", "the cluster default's dynamic configs")
	eventually(func() string { return describeBroker(adm, id, "log.segment.bytes") },
		"1048576 DYNAMIC_DEFAULT_BROKER_CONFIG [DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=1048576 DEFAULT_CONFIG:log.segment.bytes=1073741824]", "the node's log.segment.bytes")
	eventually(func() string { return describeBroker(adm, id, "log.retention.ms") },
		"123456789 DYNAMIC_BROKER_CONFIG [DYNAMIC_BROKER_CONFIG:log.retention.ms=123456789 DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000 DEFAULT_CONFIG:log.retention.hours=168]", "the node's log.retention.ms over the cluster default")
	eventually(func() string { return topicConfig(adm, "segment.bytes") },
		"1048576 DYNAMIC_DEFAULT_BROKER_CONFIG [DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=1048576 DEFAULT_CONFIG:log.segment.bytes=1073741824]", "the topic's segment.bytes follows the cluster default")

	eq(alter([]kadm.AlterConfig{del("log.retention.ms")}, node), "NONE", "delete the node's log.retention.ms")
	eventually(func() string { return topicConfig(adm, "retention.ms") },
		"1000 DYNAMIC_DEFAULT_BROKER_CONFIG [DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000 DEFAULT_CONFIG:log.retention.hours=168]", "the topic's retention.ms back to the cluster default")

	ro := alter([]kadm.AlterConfig{set("log.retention.hours", "1")}, node)
	eq(ro, "INVALID_REQUEST: Cannot update these configs dynamically: [log.retention.hours]", "a read-only config")
	result("read-only refused", ro)

	// AlterConfigs (legacy) replaces the node's whole dynamic set
	state := func(ops []kadm.AlterConfig) string {
		rs, err := adm.AlterBrokerConfigsState(ctxT(15*time.Second), ops, node)
		must(err, "AlterConfigs broker")
		if rs[0].Err != nil {
			return errOf(rs[0].Err) + ": " + rs[0].ErrMessage
		}
		return "NONE"
	}
	eq(state([]kadm.AlterConfig{set("log.retention.ms", "222222")}), "NONE", "AlterConfigs on the node")
	eventually(func() string { return topicConfig(adm, "retention.ms") },
		"222222 DYNAMIC_BROKER_CONFIG [DYNAMIC_BROKER_CONFIG:log.retention.ms=222222 DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000 DEFAULT_CONFIG:log.retention.hours=168]", "the topic's retention.ms after AlterConfigs")
	eq(state(nil), "NONE", "AlterConfigs with no config clears the node")
	eventually(func() string { return describeBroker(adm, id, "log.retention.ms") },
		"1000 DYNAMIC_DEFAULT_BROKER_CONFIG [DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000 DEFAULT_CONFIG:log.retention.hours=168]", "the node's log.retention.ms after AlterConfigs cleared it")

	eq(alter([]kadm.AlterConfig{del("log.segment.bytes"), del("log.retention.ms")}), "NONE", "delete the cluster default")
	eventually(func() string { return strings.Join(dynamicDefaults(adm), ", ") }, "", "the cluster default's dynamic configs after delete")
	eventually(func() string { return topicConfig(adm, "retention.ms") }, "604800000 DEFAULT_CONFIG []", "the topic's retention.ms back to the default")
}

// adminLogDirs moves partition 0 to the other log dir (the same one on a one-dir broker) while a
// producer writes to it and a consumer reads it.
func adminLogDirs() {
	adm := admin()
	node := nodeID(adm)
	// partitions per dir before the topic exists (every topic, internal ones included)
	before, err := adm.DescribeBrokerLogDirs(ctxT(15*time.Second), node, nil)
	must(err, "DescribeLogDirs of every topic")
	held := map[string]int{}
	for dir, ld := range before {
		held[dir] = 0
		ld.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if !p.IsFuture {
				held[dir]++
			}
		})
	}
	createTopic(adm, T, 4, nil)
	describe := func() kadm.DescribedLogDirs {
		d, err := adm.DescribeBrokerLogDirs(ctxT(15*time.Second), node, kadm.TopicsSet{T: {0: {}, 1: {}, 2: {}, 3: {}}})
		must(err, "DescribeLogDirs")
		must(d.Error(), "DescribeLogDirs dir error")
		return d
	}
	where := func(d kadm.DescribedLogDirs, p int32) (dirs []string, future bool) {
		for dir, ld := range d {
			if lp, ok := ld.Topics.Lookup(T, p); ok {
				if lp.IsFuture {
					future = true
				} else {
					dirs = append(dirs, dir)
				}
			}
		}
		return dirs, future
	}
	var d kadm.DescribedLogDirs
	until("every partition in a log dir", func() bool {
		d = describe()
		for p := int32(0); p < 4; p++ {
			if ds, _ := where(d, p); len(ds) == 0 {
				return false
			}
		}
		return true
	}, 15*time.Second)
	var all []string
	spread := map[string]int{}
	for dir, ld := range d {
		all = append(all, dir)
		spread[dir] = len(ld.Topics[T])
		// -1 -1: volume sizes not reported (odradek --memory has no volume)
		check(ld.TotalBytes == -1 && ld.UsableBytes == -1 || ld.TotalBytes > 0 && ld.UsableBytes > 0 && ld.UsableBytes <= ld.TotalBytes, "log dir %s: total %d usable %d", dir, ld.TotalBytes, ld.UsableBytes)
	}
	sort.Strings(all)
	for p := int32(0); p < 4; p++ {
		ds, _ := where(d, p)
		eq(len(ds), 1, fmt.Sprintf("%s-%d is in exactly one log dir", T, p))
	}
	var counts []int
	for _, dir := range all {
		counts = append(counts, spread[dir])
	}
	// Kafka's LogManager.nextLogDirs: each new partition goes to the dir holding the fewest, so the
	// totals after are those of filling the emptiest dir first (which dir wins a tie is unspecified)
	fill := map[string]int{}
	for dir, n := range held {
		fill[dir] = n
	}
	for i := 0; i < 4; i++ {
		least := ""
		for dir, n := range fill {
			if least == "" || n < fill[least] {
				least = dir
			}
		}
		fill[least]++
	}
	var predicted, actual []int
	for _, dir := range all {
		predicted = append(predicted, fill[dir])
		actual = append(actual, held[dir]+spread[dir])
	}
	sort.Ints(predicted)
	sort.Ints(actual)
	eq(actual, predicted, fmt.Sprintf("partitions per log dir (held before %v, new %v): each to the dir with the fewest", held, counts))
	result("log dirs", fmt.Sprintf("%d, each new partition in one, placed in the dir holding the fewest", len(all)))
	from, _ := where(d, 0)
	to := from[0]
	for _, dir := range all {
		if dir != from[0] {
			to = dir
		}
	}

	// a producer writes p-0, p-1, ... to partition 0 until stopped; a consumer reads from the start
	prod := client(kgo.RequiredAcks(kgo.AllISRAcks()))
	var mu sync.Mutex
	produced := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var perr error
	go func() {
		defer wg.Done()
		for i := 0; ; i += 10 {
			select {
			case <-stop:
				return
			default:
			}
			var rs []*kgo.Record
			for j := i; j < i+10; j++ {
				rs = append(rs, rec(0, fmt.Sprintf("k-%d", j), fmt.Sprintf("v-%d", j)))
			}
			if err := prod.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
				perr = err
				return
			}
			mu.Lock()
			produced = i + 10
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	cons := client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{T: {0: kgo.NewOffset().AtStart()}}))
	var consumed []string
	poll := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cons.PollFetches(ctx)
		cancel()
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				must(e.Err, "fetch during the move")
			}
		}
		fs.EachRecord(func(r *kgo.Record) { consumed = append(consumed, fmt.Sprintf("%d:%s:%s", r.Offset, r.Key, r.Value)) })
	}
	until("records before the move", func() bool { poll(); return len(consumed) >= 50 }, 30*time.Second)

	alterTo := func(dir string, p int32) string {
		r := kadm.AlterReplicaLogDirsReq{}
		s := kadm.TopicsSet{}
		s.Add(T, p)
		r.Add(dir, s)
		rs, err := adm.AlterBrokerReplicaLogDirs(ctxT(15*time.Second), node, r)
		must(err, "AlterReplicaLogDirs")
		var out []string
		rs.Each(func(a kadm.AlterReplicaLogDirsResponse) { out = append(out, errOf(a.Err)) })
		return strings.Join(out, ",")
	}
	mu.Lock()
	atRequest := produced
	mu.Unlock()
	eq(alterTo(to, 0), "NONE", "AlterReplicaLogDirs "+T+"-0")
	until("the move completes", func() bool {
		poll()
		ds, future := where(describe(), 0)
		return !future && len(ds) == 1 && ds[0] == to
	}, 60*time.Second)
	mu.Lock()
	atMove := produced
	mu.Unlock()
	until("records after the move", func() bool {
		poll()
		mu.Lock()
		defer mu.Unlock()
		return produced >= atMove+50 || perr != nil
	}, 30*time.Second)
	close(stop)
	wg.Wait()
	must(perr, "produce during the move")
	until("every record consumed", func() bool { poll(); return len(consumed) >= produced }, 30*time.Second)
	for i := 0; i < 3; i++ {
		poll()
	}
	eq(consumed, expected(0, produced, "k-", "v-"), "records consumed across the move")
	ds, future := where(describe(), 0)
	eq([]any{ds, future}, []any{[]string{to}, false}, T+"-0's log dir after the move")
	result("move to another dir", fmt.Sprintf("moved=%v records exact, none lost or duplicated", to != from[0]))
	fmt.Printf("records: %d produced and consumed: %d before the move was requested, %d while it ran, %d after it completed\n", produced, atRequest, atMove-atRequest, produced-atMove)

	eq(alterTo("/nonexistent/log-dir", 1), "LOG_DIR_NOT_FOUND", "a move to a path that is not a log dir")
	eq(alterTo(to, 9), "UNKNOWN_TOPIC_OR_PARTITION", "a move of a partition that does not exist")
	result("refused moves", "LOG_DIR_NOT_FOUND, UNKNOWN_TOPIC_OR_PARTITION")
}
