// Group scenarios for kafka-go: kafka.ConsumerGroup (classic protocol, the range balancer) drives
// membership; each generation reads its partitions with kafka.Client Fetch and commits every
// record through Generation.CommitOffsets before looking at the generation's end, so what was
// processed is committed before the partitions can move (Next waits for the readers to return).
// kafka-go has no cooperative protocol, no KIP-848 and no transactional producer.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

type groupState struct {
	mu   sync.Mutex
	seen map[string]int
	err  error
}

func (s *groupState) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

type member struct {
	name    string
	st      *groupState
	group   *kafka.ConsumerGroup
	cancel  context.CancelFunc
	done    chan struct{}
	owned   map[int]bool // guarded by st.mu
	lastErr error        // guarded by st.mu
	closed  bool
}

func newMember(name, groupID string, st *groupState) *member {
	g, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: groupID, Brokers: []string{bootstrap}, Topics: []string{T},
		GroupBalancers:    []kafka.GroupBalancer{kafka.RangeGroupBalancer{}},
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
		JoinGroupBackoff: 500 * time.Millisecond, StartOffset: kafka.FirstOffset,
	})
	must(err, "NewConsumerGroup "+name)
	c, cancel := context.WithCancel(context.Background())
	m := &member{name: name, st: st, group: g, cancel: cancel, done: make(chan struct{}), owned: map[int]bool{}}
	go m.run(c)
	return m
}

func (m *member) run(c context.Context) {
	defer close(m.done)
	for {
		gen, err := m.group.Next(c)
		if err != nil {
			m.st.mu.Lock()
			m.owned = map[int]bool{}
			if errors.Is(err, kafka.ErrGroupClosed) || c.Err() != nil {
				m.st.mu.Unlock()
				return
			}
			// Next reports join/sync errors (e.g. GROUP_COORDINATOR_NOT_AVAILABLE while the offsets
			// topic is created) and retries by itself; a wait that times out shows the last one
			m.lastErr = err
			m.st.mu.Unlock()
			continue
		}
		if os.Getenv("KGDEBUG") != "" {
			fmt.Fprintf(os.Stderr, "%s %s gen %d assignments %v\n", time.Now().Format("15:04:05.000"), m.name, gen.ID, gen.Assignments[T])
		}
		owned := map[int]bool{}
		for _, a := range gen.Assignments[T] {
			owned[a.ID] = true
		}
		m.st.mu.Lock()
		m.owned = owned
		m.st.mu.Unlock()
		for _, a := range gen.Assignments[T] {
			partition, offset := a.ID, a.Offset
			if offset < 0 { // no commit yet: the topics are fresh, so the first offset is 0
				offset = 0
			}
			gen.Start(func(gc context.Context) { m.consume(gc, gen, partition, offset) })
		}
	}
}

// consume fetches partition from offset until the generation ends; every record is counted and
// committed before the next one, and the generation's end is only looked at between fetches.
func (m *member) consume(gc context.Context, gen *kafka.Generation, partition int, offset int64) {
	for gc.Err() == nil {
		res, err := cl.Fetch(ctx(), &kafka.FetchRequest{Topic: T, Partition: partition, Offset: offset, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 200 * time.Millisecond})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			m.st.fail(fmt.Errorf("%s: Fetch %d@%d: %w", m.name, partition, offset, err))
			return
		}
		for {
			r, err := res.Records.ReadRecord()
			if err != nil {
				break
			}
			if r.Offset < offset {
				continue
			}
			_, _ = protocol.ReadAll(r.Key) // as read() does: key, then value
			v, _ := protocol.ReadAll(r.Value)
			m.st.mu.Lock()
			m.st.seen[string(v)]++
			m.st.mu.Unlock()
			if os.Getenv("KGDEBUG") != "" {
				fmt.Fprintf(os.Stderr, "%s %s gen %d p%d@%d %s\n", time.Now().Format("15:04:05.000"), m.name, gen.ID, partition, r.Offset, v)
			}
			offset = r.Offset + 1
			if err := gen.CommitOffsets(map[string]map[int]int64{T: {partition: offset}}); err != nil {
				m.st.fail(fmt.Errorf("%s: commit %d@%d: %w", m.name, partition, offset, err))
				return
			}
		}
	}
}

func (m *member) close() {
	if m.closed {
		return
	}
	m.closed = true
	m.cancel()
	must(m.group.Close(), m.name+" Close")
	<-m.done
}

func (m *member) parts() []int {
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	out := []int{}
	for p := range m.owned {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

func waitGroup(st *groupState, ms []*member, what string, f func() bool) {
	end := time.Now().Add(40 * time.Second)
	for {
		st.mu.Lock()
		err := st.err
		st.mu.Unlock()
		must(err, "group")
		if f() {
			return
		}
		if time.Now().After(end) {
			var state []string
			for _, m := range ms {
				if !m.closed {
					state = append(state, fmt.Sprintf("%s=%v", m.name, m.parts()))
					st.mu.Lock()
					if m.lastErr != nil {
						state = append(state, fmt.Sprintf("(%s last error: %v)", m.name, m.lastErr))
					}
					st.mu.Unlock()
				}
			}
			st.mu.Lock()
			n := len(st.seen)
			var sample []string
			for v := range st.seen {
				if len(sample) < 5 {
					sample = append(sample, fmt.Sprintf("%q", v))
				}
			}
			st.mu.Unlock()
			state = append(state, fmt.Sprint(sample))
			panic(failure(fmt.Sprintf("timed out waiting for %s (%d distinct records seen): %v", what, n, state)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func produceSpread(prefix string, n int) {
	for i := 0; i < n; i++ {
		v := []byte(fmt.Sprintf("%s-%d", prefix, i))
		produce(i%3, kafka.RequireAll, 0, rec{key: v, value: v})
	}
}

func (st *groupState) have(prefix string, n int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := 0; i < n; i++ {
		if st.seen[fmt.Sprintf("%s-%d", prefix, i)] == 0 {
			return false
		}
	}
	return true
}

func cover(ms ...*member) ([]int, bool) {
	n, u := 0, map[int]bool{}
	for _, m := range ms {
		for _, p := range m.parts() {
			u[p] = true
			n++
		}
	}
	out := []int{}
	for p := range u {
		out = append(out, p)
	}
	sort.Ints(out)
	return out, n == len(out)
}

// waitCoordinator waits until FindCoordinator answers for the group: on a fresh Kafka the first
// lookup creates __consumer_offsets, and members joining before that loop through join errors.
func waitCoordinator(G string) {
	until("group coordinator for "+G, func() bool {
		r, err := cl.FindCoordinator(ctx(), &kafka.FindCoordinatorRequest{Key: G, KeyType: kafka.CoordinatorKeyTypeConsumer})
		return err == nil && r.Error == nil && r.Coordinator != nil
	})
}

func groupRebalance() {
	createTopic(T, 3)
	produceSpread("a", 30)
	st := &groupState{seen: map[string]int{}}
	G := T + "-g"
	waitCoordinator(G)
	ms := []*member{newMember("c1", G, st), newMember("c2", G, st), newMember("c3", G, st)}
	defer func() {
		for _, m := range ms {
			m.close()
		}
	}()
	all3 := []int{0, 1, 2}
	waitGroup(st, ms, "one partition each", func() bool {
		u, disjoint := cover(ms...)
		return len(ms[0].parts()) == 1 && len(ms[1].parts()) == 1 && len(ms[2].parts()) == 1 && disjoint && fmt.Sprint(u) == fmt.Sprint(all3)
	})
	waitGroup(st, ms, "30 records", func() bool { return st.have("a", 30) })
	ms[2].close()
	waitGroup(st, ms, "two members cover 3 partitions", func() bool {
		u, disjoint := cover(ms[0], ms[1])
		return disjoint && fmt.Sprint(u) == fmt.Sprint(all3)
	})
	produceSpread("b", 30)
	waitGroup(st, ms, "30 more records", func() bool { return st.have("b", 30) })
	ms[0].close()
	ms[1].close()
	produceSpread("c", 9)
	m4 := newMember("c4", G, st)
	ms = append(ms, m4)
	waitGroup(st, ms, "resume from commits", func() bool { return st.have("c", 9) })
	time.Sleep(time.Second)
	m4.close()
	st.mu.Lock()
	defer st.mu.Unlock()
	must(st.err, "group")
	var dups []string
	for v, n := range st.seen {
		if n > 1 {
			dups = append(dups, v)
		}
	}
	sort.Strings(dups)
	check(len(dups) == 0, "duplicates: %v", dups)
	eq(len(st.seen), 69, "distinct records consumed")
}

func adminGroups() {
	createTopic(T, 1)
	produce(0, kafka.RequireAll, 0, kv(0, 10)...)
	G := T + "-g"
	waitCoordinator(G)
	g, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{ID: G, Brokers: []string{bootstrap}, Topics: []string{T}, StartOffset: kafka.FirstOffset})
	must(err, "NewConsumerGroup")
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var gen *kafka.Generation
	for gen == nil {
		// Next reports join errors (retried by the group itself) until a generation starts
		gen, err = g.Next(c)
		check(c.Err() == nil, "no generation within 30 s: %v", err)
	}
	check(len(gen.Assignments[T]) == 1, "assignment: %v", gen.Assignments)
	var seen []int64
	until("offset 6 consumed", func() bool {
		for _, x := range read(0, int64(len(seen)), 7) {
			seen = append(seen, x.offset)
		}
		return len(seen) >= 7
	})
	must(gen.CommitOffsets(map[string]map[int]int64{T: {0: 7}}), "CommitOffsets")
	must(g.Close(), "Close")
	listed := func() bool {
		r, err := cl.ListGroups(ctx(), &kafka.ListGroupsRequest{})
		must(err, "ListGroups")
		must(r.Error, "ListGroups")
		for _, x := range r.Groups {
			if x.GroupID == G {
				return true
			}
		}
		return false
	}
	check(listed(), "ListGroups misses %s", G)
	var d *kafka.DescribeGroupsResponse
	// the member's LeaveGroup is asynchronous with Close: wait for the group to be Empty
	until("group Empty", func() bool {
		d, err = cl.DescribeGroups(ctx(), &kafka.DescribeGroupsRequest{GroupIDs: []string{G}})
		must(err, "DescribeGroups")
		return len(d.Groups) == 1 && d.Groups[0].GroupState == "Empty"
	})
	x := d.Groups[0]
	must(x.Error, "DescribeGroups")
	eq(fmt.Sprintf("%s %s %d", x.GroupID, x.GroupState, len(x.Members)), fmt.Sprintf("%s Empty 0", G), "DescribeGroups")
	o, err := cl.OffsetFetch(ctx(), &kafka.OffsetFetchRequest{GroupID: G, Topics: map[string][]int{T: {0}}})
	must(err, "OffsetFetch")
	must(o.Error, "OffsetFetch")
	var got []string
	for _, p := range o.Topics[T] {
		must(p.Error, "OffsetFetch partition")
		got = append(got, fmt.Sprintf("%d@%d", p.Partition, p.CommittedOffset))
	}
	eq(got, []string{"0@7"}, "committed offsets")
	dr, err := cl.DeleteGroups(ctx(), &kafka.DeleteGroupsRequest{GroupIDs: []string{G}})
	must(err, "DeleteGroups")
	must(dr.Errors[G], "DeleteGroups")
	check(!listed(), "group still listed after delete")
}

func init() {
	scenarios["group-rebalance"] = groupRebalance
	scenarios["admin-groups"] = adminGroups
}
