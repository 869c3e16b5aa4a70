package main

// Group scenarios for sarama's ConsumerGroup (classic protocol, eager range balancer): each member
// runs Consume in a goroutine, commits every record synchronously and stops processing as soon as
// its session ends, so records are neither lost nor consumed twice across rebalances.

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

type tally struct {
	mu   sync.Mutex
	seen map[string]int
}

func (t *tally) have(prefix string, n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := 0; i < n; i++ {
		if t.seen[fmt.Sprintf("%s-%d", prefix, i)] == 0 {
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

type member struct {
	g      sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	owned  []int32
	seen   *tally
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.owned = append([]int32(nil), s.Claims()[T]...)
	sort.Slice(m.owned, func(i, j int) bool { return m.owned[i] < m.owned[j] })
	m.mu.Unlock()
	return nil
}
func (m *member) Cleanup(sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.owned = nil
	m.mu.Unlock()
	return nil
}
func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case <-s.Context().Done():
			return nil
		case msg, ok := <-c.Messages():
			if !ok || s.Context().Err() != nil {
				return nil
			}
			m.seen.mu.Lock()
			m.seen.seen[string(msg.Value)]++
			m.seen.mu.Unlock()
			s.MarkMessage(msg, "")
			s.Commit()
		}
	}
}
func (m *member) ownedSet() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int32(nil), m.owned...)
}
func (m *member) close() {
	m.cancel()
	m.g.Close() // leaves the group
	<-m.done
}

func newMember(group string, seen *tally) *member {
	c := config()
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	g, err := sarama.NewConsumerGroup([]string{bootstrap}, group, c)
	must(err, "NewConsumerGroup")
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{g: g, cancel: cancel, done: make(chan struct{}), seen: seen}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{T}, m); err != nil {
				return
			}
		}
	}()
	return m
}
func cover(ms ...*member) bool {
	all := map[int32]int{}
	for _, m := range ms {
		o := m.ownedSet()
		if len(o) == 0 {
			return false
		}
		for _, p := range o {
			all[p]++
		}
	}
	return len(all) == 3 && all[0] == 1 && all[1] == 1 && all[2] == 1
}
func produceSpread(prefix string, n int) {
	var ms []*sarama.ProducerMessage
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("%s-%d", prefix, i)
		ms = append(ms, msg(int32(i%3), v, v))
	}
	p := producer(nil)
	send(p, ms...)
	p.Close()
}

func groupRebalance() {
	createTopic(admin(), T, 3, nil)
	produceSpread("a", 30)
	g, seen := T+"-g", &tally{seen: map[string]int{}}
	c1, c2, c3 := newMember(g, seen), newMember(g, seen), newMember(g, seen)
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
	c4 := newMember(g, seen)
	until("resume from commits", func() bool { return seen.have("c", 9) }, 60*time.Second)
	time.Sleep(time.Second)
	c4.close()
	seen.noDups(69)
}

func adminGroups() {
	a := admin()
	createTopic(a, T, 1, nil)
	sendN(producer(nil), 0, 10)
	g := T + "-g"
	c := config()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	cg, err := sarama.NewConsumerGroup([]string{bootstrap}, g, c)
	must(err, "NewConsumerGroup")
	h := &commitAt{want: 6, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			if cg.Consume(ctx, []string{T}, h) != nil {
				return
			}
		}
	}()
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
		panic(failure("timed out consuming"))
	}
	cancel()
	must(cg.Close(), "ConsumerGroup.Close")
	groups, err := a.ListConsumerGroups()
	must(err, "ListConsumerGroups")
	_, ok := groups[g]
	check(ok, "ListConsumerGroups misses %s", g)
	ds, err := a.DescribeConsumerGroups([]string{g})
	must(err, "DescribeConsumerGroups")
	eq(fmt.Sprintf("%s/%d", ds[0].State, len(ds[0].Members)), "Empty/0", "describe")
	off, err := a.ListConsumerGroupOffsets(g, map[string][]int32{T: {0}})
	must(err, "ListConsumerGroupOffsets")
	eq(off.GetBlock(T, 0).Offset, int64(7), "committed offset")
	must(a.DeleteConsumerGroup(g), "DeleteConsumerGroup")
	groups, err = a.ListConsumerGroups()
	must(err, "ListConsumerGroups")
	_, ok = groups[g]
	check(!ok, "group still listed after delete")
}

// commitAt commits offset want+1 once it sees record `want`, then signals done.
type commitAt struct {
	want int64
	once sync.Once
	done chan struct{}
}

func (h *commitAt) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *commitAt) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *commitAt) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		if msg.Offset == h.want {
			s.MarkMessage(msg, "")
			s.Commit()
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}
