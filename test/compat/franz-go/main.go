// franz-go suite: go run . <bootstrap> <target>. One JSON line per scenario (client "franz-go").
// Consumers read assigned partitions from offset 0 unless the scenario is about groups.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const prefix = "fgo-"
const baseTS = int64(1_700_000_000_000)

var bootstrap string

type M = map[string]any

func client(opts ...kgo.Opt) *kgo.Client {
	base := []kgo.Opt{kgo.SeedBrokers(bootstrap), kgo.ClientID("skiff-compat-franz-go"), kgo.RequestTimeoutOverhead(5 * time.Second), kgo.RetryTimeout(15 * time.Second), kgo.AllowAutoTopicCreation()}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		panic(err)
	}
	return cl
}

func errName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}

func createTopic(ctx context.Context, topic string, partitions int32, configs map[string]*string) error {
	adm := kadm.NewClient(client())
	defer adm.Close()
	res, err := adm.CreateTopics(ctx, partitions, 1, configs, topic)
	if err != nil {
		return err
	}
	if r := res[topic]; r.Err != nil {
		return r.Err
	}
	// Wait until the new partitions have leaders in the metadata.
	for i := 0; i < 50; i++ {
		md, err := adm.Metadata(ctx, topic)
		if err == nil {
			if t, ok := md.Topics[topic]; ok && t.Err == nil && len(t.Partitions) == int(partitions) {
				ready := true
				for _, p := range t.Partitions {
					ready = ready && p.Leader >= 0
				}
				if ready {
					time.Sleep(300 * time.Millisecond)
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("topic %s: no leaders", topic)
}

func produce(ctx context.Context, cl *kgo.Client, batches [][]*kgo.Record) ([][]string, error) {
	var out [][]string
	for _, batch := range batches {
		res := cl.ProduceSync(ctx, batch...)
		var b []string
		for _, r := range res {
			if r.Err != nil {
				b = append(b, errName(r.Err))
			} else {
				b = append(b, fmt.Sprintf("%d:%d", r.Record.Partition, r.Record.Offset))
			}
		}
		out = append(out, b)
	}
	return out, nil
}

func recM(r *kgo.Record, withTS bool) M {
	var hs []string
	for _, h := range r.Headers {
		v := "<null>"
		if h.Value != nil {
			v = hex.EncodeToString(h.Value)
		}
		hs = append(hs, h.Key+"="+v)
	}
	if hs == nil {
		hs = []string{}
	}
	var key, value any
	if r.Key != nil {
		key = string(r.Key)
	}
	if r.Value != nil {
		value = string(r.Value)
	}
	m := M{"partition": r.Partition, "offset": r.Offset, "key": key, "value": value, "headers": hs}
	if withTS {
		typ := "CreateTime"
		if r.Attrs.TimestampType() == 1 {
			typ = "LogAppendTime"
		}
		m["timestamp"] = fmt.Sprintf("%d/%s", r.Timestamp.UnixMilli(), typ)
	}
	return m
}

func readAssigned(ctx context.Context, topic string, partitions int32, count int, withTS bool, opts ...kgo.Opt) ([]M, error) {
	parts := map[int32]kgo.Offset{}
	for i := int32(0); i < partitions; i++ {
		parts[i] = kgo.NewOffset().At(0)
	}
	cl := client(append([]kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}), kgo.FetchMaxWait(200 * time.Millisecond)}, opts...)...)
	defer cl.Close()
	var got []*kgo.Record
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < count && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	cl.PollFetches(pctx).EachRecord(func(r *kgo.Record) { got = append(got, r) })
	cancel()
	if len(got) < count {
		return nil, fmt.Errorf("read %d of %d records from %s", len(got), count, topic)
	}
	sort.Slice(got, func(i, j int) bool {
		if got[i].Partition != got[j].Partition {
			return got[i].Partition < got[j].Partition
		}
		return got[i].Offset < got[j].Offset
	})
	out := []M{}
	for _, r := range got {
		out = append(out, recM(r, withTS))
	}
	return out, nil
}

func codec(name string, c kgo.CompressionCodec) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		topic := prefix + "codec-" + name
		cl := client(kgo.ProducerBatchCompression(c), kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		defer cl.Close()
		var batches [][]*kgo.Record
		for b := 0; b < 3; b++ {
			var batch []*kgo.Record
			for i := 0; i < 5; i++ {
				batch = append(batch, &kgo.Record{Topic: topic, Partition: 0, Key: []byte(fmt.Sprintf("k%d-%d", b, i)), Value: []byte(fmt.Sprintf("%s value %d-%d %s", name, b, i, strings.Repeat("x", i*20)))})
			}
			batches = append(batches, batch)
		}
		produced, err := produce(ctx, cl, batches)
		if err != nil {
			return nil, err
		}
		recs, err := readAssigned(ctx, topic, 1, 15, false)
		return M{"produced": produced, "records": recs}, err
	}
}

func scenarios() ([]string, map[string]func(context.Context) (any, error)) {
	order := []string{}
	s := map[string]func(context.Context) (any, error){}
	add := func(name string, fn func(context.Context) (any, error)) { order = append(order, name); s[name] = fn }
	for _, c := range []struct {
		n string
		c kgo.CompressionCodec
	}{{"none", kgo.NoCompression()}, {"gzip", kgo.GzipCompression()}, {"snappy", kgo.SnappyCompression()}, {"lz4", kgo.Lz4Compression()}, {"zstd", kgo.ZstdCompression()}} {
		add("produce-consume-"+c.n, codec(c.n, c.c))
	}
	add("keys-nulls-headers", func(ctx context.Context) (any, error) {
		topic := prefix + "keys-nulls-headers"
		cl := client(kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		defer cl.Close()
		produced, _ := produce(ctx, cl, [][]*kgo.Record{{
			{Topic: topic, Key: []byte("k1"), Value: []byte("v1"), Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte("a")}, {Key: "h2", Value: []byte{0, 1, 2}}, {Key: "nullh"}, {Key: "h1", Value: []byte("again")}}},
			{Topic: topic, Value: []byte("no key")},
			{Topic: topic, Key: []byte("tombstone")},
			{Topic: topic, Key: []byte{}, Value: []byte{}},
		}})
		recs, err := readAssigned(ctx, topic, 1, 4, false)
		return M{"produced": produced, "records": recs}, err
	})
	add("create-time", func(ctx context.Context) (any, error) {
		topic := prefix + "create-time"
		cl := client(kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		defer cl.Close()
		var batch []*kgo.Record
		for i := 0; i < 3; i++ {
			batch = append(batch, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i)), Timestamp: time.UnixMilli(baseTS + int64(i)*1000)})
		}
		produced, _ := produce(ctx, cl, [][]*kgo.Record{batch})
		recs, err := readAssigned(ctx, topic, 1, 3, true)
		return M{"produced": produced, "records": recs}, err
	})
	add("many-partitions", func(ctx context.Context) (any, error) {
		topic := prefix + "many-partitions"
		if err := createTopic(ctx, topic, 12, nil); err != nil {
			return nil, err
		}
		cl := client(kgo.DisableIdempotentWrite())
		defer cl.Close()
		var batch []*kgo.Record
		for i := 0; i < 60; i++ {
			batch = append(batch, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte(fmt.Sprintf("v%d", i))})
		}
		if _, err := produce(ctx, cl, [][]*kgo.Record{batch}); err != nil {
			return nil, err
		}
		recs, err := readAssigned(ctx, topic, 12, 60, false)
		keys := []string{}
		for _, r := range recs {
			keys = append(keys, fmt.Sprintf("%v:%v:%v", r["partition"], r["offset"], r["key"]))
		}
		return M{"keys": keys}, err
	})
	add("list-offsets", func(ctx context.Context) (any, error) {
		topic := prefix + "list-offsets"
		cl := client(kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		var batch []*kgo.Record
		for i := 0; i < 5; i++ {
			batch = append(batch, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i)), Timestamp: time.UnixMilli(baseTS + int64(i)*1000)})
		}
		produce(ctx, cl, [][]*kgo.Record{batch})
		adm := kadm.NewClient(cl)
		defer adm.Close()
		out := M{}
		start, err := adm.ListStartOffsets(ctx, topic)
		if err != nil {
			return nil, err
		}
		end, _ := adm.ListEndOffsets(ctx, topic)
		o, _ := start.Lookup(topic, 0)
		out["earliest"] = o.Offset
		o, _ = end.Lookup(topic, 0)
		out["latest"] = o.Offset
		for _, d := range []int64{-1, 2000, 2500, 10000} {
			r, err := adm.ListOffsetsAfterMilli(ctx, baseTS+d, topic)
			if err != nil {
				return nil, err
			}
			o, _ := r.Lookup(topic, 0)
			out[fmt.Sprintf("byTime+%d", d)] = fmt.Sprintf("%d@%d", o.Offset, o.Timestamp-baseTS)
		}
		return out, nil
	})
	add("admin-topics", func(ctx context.Context) (any, error) {
		topic := prefix + "admin-topics"
		adm := kadm.NewClient(client())
		defer adm.Close()
		out := M{}
		if err := createTopic(ctx, topic, 3, nil); err != nil {
			return nil, err
		}
		res, _ := adm.CreateTopics(ctx, 3, 1, nil, topic)
		if res[topic].Err != nil {
			out["again"] = errName(res[topic].Err)
		}
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return nil, err
		}
		parts := []M{}
		for _, p := range md.Topics[topic].Partitions.Sorted() {
			parts = append(parts, M{"id": p.Partition, "replicas": len(p.Replicas), "isr": len(p.ISR), "leader": p.Leader >= 0})
		}
		out["partitions"] = parts
		dr, err := adm.DeleteTopics(ctx, topic)
		if err != nil {
			return nil, err
		}
		out["deleteErr"] = dr[topic].Err != nil
		time.Sleep(500 * time.Millisecond)
		names, _ := adm.ListTopics(ctx)
		out["listedAfterDelete"] = names.Has(topic)
		return out, nil
	})
	add("admin-configs", func(ctx context.Context) (any, error) {
		topic := prefix + "admin-configs"
		v := "3600000"
		if err := createTopic(ctx, topic, 1, map[string]*string{"retention.ms": &v}); err != nil {
			return nil, err
		}
		adm := kadm.NewClient(client())
		defer adm.Close()
		names := []string{"retention.ms", "cleanup.policy", "max.message.bytes", "segment.bytes", "min.insync.replicas", "message.timestamp.type"}
		describe := func() (M, error) {
			rcs, err := adm.DescribeTopicConfigs(ctx, topic)
			if err != nil {
				return nil, err
			}
			rc, err := rcs.On(topic, nil)
			if err != nil {
				return nil, err
			}
			m := M{}
			for _, c := range rc.Configs {
				for _, n := range names {
					if c.Key == n {
						m[n] = M{"value": c.MaybeValue(), "source": c.Source.String(), "sensitive": c.Sensitive}
					}
				}
			}
			return m, nil
		}
		before, err := describe()
		if err != nil {
			return nil, err
		}
		v2, cp := "7200000", "compact"
		if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: &v2}, {Name: "cleanup.policy", Value: &cp}}, topic); err != nil {
			return nil, err
		}
		time.Sleep(700 * time.Millisecond)
		after, err := describe()
		return M{"before": before, "after": after}, err
	})
	add("consumer-group-rebalance", func(ctx context.Context) (any, error) {
		topic, group := prefix+"group-rebalance", prefix+"group-3"
		if err := createTopic(ctx, topic, 6, nil); err != nil {
			return nil, err
		}
		p := client(kgo.DisableIdempotentWrite())
		var batch []*kgo.Record
		for i := 0; i < 30; i++ {
			batch = append(batch, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte("v")})
		}
		produce(ctx, p, [][]*kgo.Record{batch})
		assigned := make([]int, 3)
		var members []*kgo.Client
		for i := 0; i < 3; i++ {
			i := i
			members = append(members, client(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.Balancers(kgo.RangeBalancer()), kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond), kgo.FetchMaxWait(200*time.Millisecond),
				kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) { assigned[i] = len(a[topic]) }),
				kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, _ map[string][]int32) { assigned[i] = 0 })))
		}
		seen := map[string]bool{}
		sizes := func(n int) []int { s := append([]int{}, assigned[:n]...); sort.Ints(s); return s }
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for _, m := range members {
				pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				m.PollFetches(pctx).EachRecord(func(r *kgo.Record) { seen[fmt.Sprintf("%d:%d", r.Partition, r.Offset)] = true })
				cancel()
				m.CommitUncommittedOffsets(ctx)
			}
			if fmt.Sprint(sizes(3)) == "[2 2 2]" && len(seen) >= 30 {
				break
			}
		}
		out := M{"threeMembers": sizes(3), "distinctRecords": len(seen)}
		members[2].Close()
		members = members[:2]
		deadline = time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) && fmt.Sprint(sizes(2)) != "[3 3]" {
			for _, m := range members {
				pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				m.PollFetches(pctx)
				cancel()
			}
		}
		out["twoMembers"] = sizes(2)
		for _, m := range members {
			m.Close()
		}
		adm := kadm.NewClient(client())
		defer adm.Close()
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return nil, err
		}
		committed := M{}
		offs.Each(func(o kadm.OffsetResponse) { committed[fmt.Sprint(o.Partition)] = o.At })
		out["committed"] = committed
		return out, nil
	})
	add("consumer-protocol-group", func(ctx context.Context) (any, error) {
		// KIP-848 with kgo.ServerSideBalancer: one member, a second joins and leaves.
		topic, group := prefix+"cgp", prefix+"cgp-group"
		if err := createTopic(ctx, topic, 4, nil); err != nil {
			return nil, err
		}
		p := client(kgo.DisableIdempotentWrite())
		var batch []*kgo.Record
		for i := 0; i < 20; i++ {
			batch = append(batch, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte("v")})
		}
		produce(ctx, p, [][]*kgo.Record{batch})
		p.Close()
		var mu sync.Mutex
		assigned := make([]int, 2)
		member := func(i int) *kgo.Client {
			return client(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.Balancers(kgo.RangeBalancer()), kgo.ServerSideBalancer(), kgo.FetchMaxWait(200*time.Millisecond),
				kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
					mu.Lock()
					assigned[i] += len(a[topic])
					mu.Unlock()
				}),
				kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
					mu.Lock()
					assigned[i] -= len(r[topic])
					mu.Unlock()
				}),
				kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
					mu.Lock()
					assigned[i] -= len(l[topic])
					mu.Unlock()
				}))
		}
		sizes := func(n int) []int {
			mu.Lock()
			defer mu.Unlock()
			s := append([]int{}, assigned[:n]...)
			sort.Ints(s)
			return s
		}
		poll := func(m *kgo.Client, seen map[string]bool) {
			pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			m.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
				if seen != nil {
					seen[fmt.Sprintf("%d:%d", r.Partition, r.Offset)] = true
				}
			})
			cancel()
		}
		first := member(0)
		seen := map[string]bool{}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && (sizes(1)[0] < 4 || len(seen) < 20) {
			poll(first, seen)
		}
		first.CommitUncommittedOffsets(ctx)
		out := M{"oneMember": sizes(1)[0], "distinctRecords": len(seen)}
		second := member(1)
		deadline = time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && fmt.Sprint(sizes(2)) != "[2 2]" {
			poll(first, nil)
			poll(second, nil)
		}
		out["twoMembers"] = sizes(2)
		second.Close()
		deadline = time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && sizes(1)[0] < 4 {
			poll(first, nil)
		}
		out["afterLeave"] = sizes(1)[0]
		first.Close()
		adm := kadm.NewClient(client())
		defer adm.Close()
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return nil, err
		}
		committed := M{}
		offs.Each(func(o kadm.OffsetResponse) { committed[fmt.Sprint(o.Partition)] = o.At })
		out["committed"] = committed
		return out, nil
	})
	add("idempotent-producer", func(ctx context.Context) (any, error) {
		topic := prefix + "idempotent"
		cl := client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
		defer cl.Close()
		produced, _ := produce(ctx, cl, [][]*kgo.Record{{{Topic: topic, Key: []byte("a"), Value: []byte("1")}, {Topic: topic, Key: []byte("b"), Value: []byte("2")}}, {{Topic: topic, Key: []byte("c"), Value: []byte("3")}}})
		recs, err := readAssigned(ctx, topic, 1, 3, false)
		return M{"produced": produced, "records": recs}, err
	})
	add("transactions", func(ctx context.Context) (any, error) {
		topic := prefix + "transactions"
		if err := createTopic(ctx, topic, 1, nil); err != nil {
			return nil, err
		}
		cl := client(kgo.TransactionalID(prefix+"txn"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		defer cl.Close()
		for i, vals := range [][]string{{"c1", "c2", "c3"}, {"a1", "a2", "a3"}, {"c4", "c5"}} {
			if err := cl.BeginTransaction(); err != nil {
				return nil, err
			}
			for _, v := range vals {
				if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(v), Value: []byte(v)}).FirstErr(); err != nil {
					return nil, err
				}
			}
			if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(i != 1)); err != nil {
				return nil, err
			}
		}
		list := func(recs []M) []string {
			out := []string{}
			for _, r := range recs {
				out = append(out, fmt.Sprintf("%v:%v", r["offset"], r["value"]))
			}
			return out
		}
		rc, err := readAssigned(ctx, topic, 1, 5, false, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		if err != nil {
			return nil, err
		}
		ru, err := readAssigned(ctx, topic, 1, 8, false, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
		return M{"readCommitted": list(rc), "readUncommitted": list(ru)}, err
	})
	add("error-invalid-topic-name", func(ctx context.Context) (any, error) {
		adm := kadm.NewClient(client())
		defer adm.Close()
		out := M{}
		for _, n := range []string{"bad topic!", strings.Repeat("x", 250), ".."} {
			res, err := adm.CreateTopics(ctx, 1, 1, nil, n)
			k := n
			if len(k) > 20 {
				k = k[:20]
			}
			if err != nil {
				out[k] = errName(err)
			} else if res[n].Err != nil {
				out[k] = errName(res[n].Err)
			} else {
				out[k] = "created"
			}
		}
		return out, nil
	})
	add("error-record-too-large", func(ctx context.Context) (any, error) {
		topic := prefix + "too-large"
		first := client(kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		small, _ := produce(ctx, first, [][]*kgo.Record{{{Topic: topic, Value: []byte("small")}}})
		first.Close()
		// Uncompressed and above message.max.bytes: the broker has to refuse it.
		cl := client(kgo.DisableIdempotentWrite(), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(8<<20), kgo.RecordRetries(0), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		defer cl.Close()
		big, _ := produce(ctx, cl, [][]*kgo.Record{{{Topic: topic, Value: []byte(strings.Repeat("y", 2<<20))}}})
		return M{"small": small, "big": big}, nil
	})
	add("error-replication-factor", func(ctx context.Context) (any, error) {
		adm := kadm.NewClient(client())
		defer adm.Close()
		res, err := adm.CreateTopics(ctx, 1, 3, nil, prefix+"rf3")
		if err != nil {
			return M{"error": errName(err)}, nil
		}
		if e := res[prefix+"rf3"].Err; e != nil {
			return M{"error": errName(e)}, nil
		}
		return M{"error": nil}, nil
	})
	addShareScenarios(add)
	return order, s
}

func emit(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func main() {
	bootstrap = os.Args[1]
	order, s := scenarios()
	if os.Getenv("COMPAT_LIST") != "" {
		fmt.Println(strings.Join(order, "\n"))
		return
	}
	version := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/twmb/franz-go" {
				version = d.Version
			}
		}
	}
	emit(M{"client": "franz-go", "versions": M{"franz-go": version}})
	only := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("COMPAT_ONLY"), ",") {
		if n != "" {
			only[n] = true
		}
	}
	for _, name := range order {
		if len(only) > 0 && !only[name] {
			continue
		}
		t0 := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		done := make(chan M, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					done <- M{"client": "franz-go", "scenario": name, "ok": false, "error": fmt.Sprint(r)}
				}
			}()
			res, err := s[name](ctx)
			if err != nil {
				done <- M{"client": "franz-go", "scenario": name, "ok": false, "error": err.Error()}
			} else {
				done <- M{"client": "franz-go", "scenario": name, "ok": true, "result": res}
			}
		}()
		select {
		case m := <-done:
			emit(m)
		case <-time.After(65 * time.Second):
			emit(M{"client": "franz-go", "scenario": name, "ok": false, "error": "timed out"})
		}
		cancel()
		fmt.Fprintf(os.Stderr, "[franz-go] %s %d ms\n", name, time.Since(t0).Milliseconds())
	}
	os.Exit(0)
}
