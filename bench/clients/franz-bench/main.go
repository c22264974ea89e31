// A load generator that costs less CPU per byte than the broker it loads, so that a figure
// taken with it says what the broker can do (bench/lib/clients.ts). Four modes:
//   - produce (default): one franz-go client (or -clients N, each with its own connection,
//     sharing the count), records built from one shared value (1,024 with -compression), no
//     per-record callback work beyond a counter;
//   - consume: read -count records of the topic from the start of every partition (no group:
//     the client assigns itself all partitions, as a Fetch-only reader); with -clients N, N
//     readers, each its own connection, share the topic: each reads one slice of one partition
//     (see consumeShared);
//   - create: CreateTopics of -partitions partitions (beyond 5,000, the rest is added by
//     CreatePartitions, 5,000 a request: see partitionsPerRequest), then Metadata until every
//     partition has a leader, so that a later produce finds the whole topic served;
//   - latency: -rate records a second to a one-partition topic for -warmup then -seconds, each
//     timed from when it was due to its acknowledgement (and, with -e2e, to when this process
//     reads it back), in microseconds (latency.go).
//
// Prints one JSON line: records, bytes, wall seconds and this process's own CPU seconds (latency:
// the percentiles).
//
//	franz-bench -bootstrap 127.0.0.1:9092 -topic t -count 1000000 -size 100 -acks -1 [-clients 100] [-compression gzip]
//	franz-bench -mode consume -bootstrap 127.0.0.1:9092 -topic t -count 1000000 [-clients 100 -size 100]
//	franz-bench -mode create -bootstrap 127.0.0.1:9092 -topic t -partitions 10000
//	franz-bench -mode latency -bootstrap 127.0.0.1:9092 -topic t -rate 10000 -size 100 -acks -1 [-e2e]
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	mode := flag.String("mode", "produce", "produce, consume, create or latency")
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap server")
	topic := flag.String("topic", "bench", "topic (auto-created by the metadata request)")
	count := flag.Int("count", 1_000_000, "records to produce")
	size := flag.Int("size", 100, "value size in bytes")
	acks := flag.Int("acks", -1, "-1 (all), 1 or 0")
	linger := flag.Duration("linger", 5*time.Millisecond, "linger before a batch is sent")
	batch := flag.Int("batch-bytes", 1_000_000, "largest batch per partition")
	deadline := flag.Duration("deadline", 120*time.Second, "hard time limit")
	clients := flag.Int("clients", 1, "producer or consumer clients (connections), each producing or reading its share of -count")
	partitions := flag.Int("partitions", 1, "create: partitions of the topic")
	compression := flag.String("compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	rate := flag.Int("rate", 1000, "latency: records a second")
	warmup := flag.Duration("warmup", time.Second, "latency: time at the rate before the measured part")
	seconds := flag.Duration("seconds", 5*time.Second, "latency: measured time at the rate")
	e2e := flag.Bool("e2e", false, "latency: also read every record back and time its arrival")
	flag.Parse()
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	codec, ok := codecs[*compression]
	if !ok {
		fail(fmt.Errorf("unknown compression %q", *compression))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()
	switch *mode {
	case "produce":
	case "consume":
		if *clients > 1 {
			consumeShared(ctx, *bootstrap, *topic, *clients, *size, int32(*batch))
		} else {
			consume(ctx, *bootstrap, *topic, *count, int32(*batch))
		}
		return
	case "create":
		create(ctx, *bootstrap, *topic, *partitions)
		return
	case "latency":
		latency(ctx, latencyOpts{bootstrap: *bootstrap, topic: *topic, rate: *rate, warmup: *warmup, seconds: *seconds, size: *size, acks: *acks, e2e: *e2e})
		return
	default:
		fail(fmt.Errorf("mode must be produce, consume, create or latency"))
	}
	if *clients < 1 || *clients > *count {
		fail(fmt.Errorf("clients must be between 1 and count"))
	}

	var ack kgo.Acks
	switch *acks {
	case -1:
		ack = kgo.AllISRAcks()
	case 1:
		ack = kgo.LeaderAck()
	case 0:
		ack = kgo.NoAck()
	default:
		fail(fmt.Errorf("acks must be -1, 1 or 0"))
	}
	cls := make([]*kgo.Client, *clients)
	for c := range cls {
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(*bootstrap),
			kgo.DefaultProduceTopic(*topic),
			kgo.AllowAutoTopicCreation(),
			kgo.RequiredAcks(ack),
			kgo.DisableIdempotentWrite(),
			kgo.ProducerLinger(*linger),
			kgo.ProducerBatchMaxBytes(int32(*batch)),
			kgo.MaxBufferedRecords(max(1<<20 / *clients, 1024)),
			// Large records: bound what is queued by bytes too (64 MiB, at least one record).
			kgo.MaxBufferedBytes(max(64<<20 / *clients, *size+1)),
			kgo.ProducerBatchCompression(codec),
			kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		)
		if err != nil {
			fail(err)
		}
		defer cl.Close()
		// Metadata first, so that topic creation and connecting are not part of the measurement.
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: make([]byte, *size)}).FirstErr(); err != nil {
			fail(err)
		}
		cls[c] = cl
	}
	// Uncompressed, one value serves every record. Compressed, 1,024 distinct values, half
	// random hex and half repeated text (about 2:1 with gzip, as JSON events or log lines), so
	// that batches compress as real payloads do rather than to almost nothing.
	values := make([][]byte, 1)
	if *compression != "none" {
		values = make([][]byte, 1024)
	}
	for v := range values {
		value := make([]byte, *size)
		for i := range value {
			value[i] = byte('a' + i%26)
		}
		if *compression != "none" {
			random := make([]byte, *size/4)
			rand.Read(random)
			hex.Encode(value[:len(random)*2], random)
		}
		values[v] = value
	}
	var failed, acked atomic.Int64
	var firstErr atomic.Value
	// Records are reused once acknowledged, so memory stays bounded by MaxBufferedRecords.
	var next atomic.Uint64
	pool := sync.Pool{New: func() any { return &kgo.Record{} }}
	done := func(r *kgo.Record, err error) {
		pool.Put(r)
		if err != nil {
			if failed.Add(1) == 1 {
				firstErr.Store(err)
			}
		} else {
			acked.Add(1)
		}
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	var wg sync.WaitGroup
	for c, cl := range cls {
		n := *count / *clients
		if c < *count%*clients {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				r := pool.Get().(*kgo.Record)
				r.Value = values[next.Add(1)%uint64(len(values))]
				r.Timestamp = time.Time{}
				cl.Produce(ctx, r, done)
			}
			if err := cl.Flush(ctx); err != nil {
				// How far it got says more than the deadline alone (a partial rate).
				fail(fmt.Errorf("%w after %.1f s, %d of %d records acknowledged", err, time.Since(t0).Seconds(), acked.Load(), *count))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0).Seconds()
	if n := failed.Load(); n > 0 {
		fail(fmt.Errorf("%d records failed, first: %v", n, firstErr.Load()))
	}
	out, _ := json.Marshal(map[string]any{
		"records":         *count,
		"bytes":           int64(*count) * int64(*size),
		"seconds":         wall,
		"client_cpu_s":    cpuSeconds() - cpu0,
		"mb_per_s":        float64(*count) * float64(*size) / 1e6 / wall,
		"records_per_sec": float64(*count) / wall,
	})
	fmt.Println(string(out))
}

// consume reads count records from the start of the topic's partitions and reports the bytes
// of their values; the clock starts before the first poll, so the offset lookups of every
// partition are part of the figure, as they are of any reader that starts from the beginning.
func consume(ctx context.Context, bootstrap, topic string, count int, maxBytes int32) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// A record larger than the per-partition limit still comes back (one batch at least).
		kgo.FetchMaxPartitionBytes(max(maxBytes, 1<<20)),
		kgo.FetchMaxBytes(max(maxBytes, 50<<20)),
	)
	if err != nil {
		fail(err)
	}
	defer cl.Close()
	cpu0 := cpuSeconds()
	t0 := time.Now()
	var first float64
	var records, bytes int64
	for records < int64(count) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			fail(fmt.Errorf("%d of %d records read before the deadline", records, count))
		}
		for _, e := range fs.Errors() {
			fail(fmt.Errorf("fetching %s[%d]: %w", e.Topic, e.Partition, e.Err))
		}
		fs.EachRecord(func(r *kgo.Record) {
			records++
			bytes += int64(len(r.Value))
		})
		if first == 0 && records > 0 {
			first = time.Since(t0).Seconds()
		}
	}
	wall := time.Since(t0).Seconds()
	out, _ := json.Marshal(map[string]any{
		"records":         records,
		"bytes":           bytes,
		"seconds":         wall,
		"first_record_s":  first,
		"client_cpu_s":    cpuSeconds() - cpu0,
		"mb_per_s":        float64(bytes) / 1e6 / wall,
		"records_per_sec": float64(records) / wall,
	})
	fmt.Println(string(out))
}

// consumeShared reads the whole topic with n clients at once, each its own connection: client c
// reads partition c % P, slice c / P of the clients on that partition (end offsets from
// ListOffsets first, outside the clock). A client asks for about its slice's bytes per fetch
// (size: the value size the topic was filled with), so the broker sends little beyond what is
// counted even with 1,000 clients. The clock runs from the first poll of any client (its
// connection and metadata included) to the last client's last record.
func consumeShared(ctx context.Context, bootstrap, topic string, n, size int, maxBytes int32) {
	admin, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		fail(err)
	}
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, admin)
	if err != nil || len(mresp.Topics) != 1 || len(mresp.Topics[0].Partitions) == 0 {
		fail(fmt.Errorf("metadata of %s: %v", topic, err))
	}
	lreq := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition = p.Partition
		lp.Timestamp = -1
		lt.Partitions = append(lt.Partitions, lp)
	}
	lreq.Topics = append(lreq.Topics, lt)
	lresp, err := lreq.RequestWith(ctx, admin)
	admin.Close()
	if err != nil || len(lresp.Topics) != 1 {
		fail(fmt.Errorf("ListOffsets of %s: %v", topic, err))
	}
	ends := make([]int64, len(mresp.Topics[0].Partitions))
	for _, p := range lresp.Topics[0].Partitions {
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			fail(fmt.Errorf("ListOffsets of %s[%d]: %w", topic, p.Partition, err))
		}
		ends[p.Partition] = p.Offset
	}
	type slice struct {
		partition  int32
		start, end int64
	}
	slices := make([]slice, n)
	parts := len(ends)
	for c := range slices {
		p, j := c%parts, c/parts
		k := n / parts
		if p < n%parts {
			k++
		}
		slices[c] = slice{int32(p), ends[p] * int64(j) / int64(k), ends[p] * int64(j+1) / int64(k)}
	}
	cls := make([]*kgo.Client, n)
	for c, s := range slices {
		// About the slice's bytes (value plus record overhead), at least 16 KiB; a batch larger
		// than that still comes back whole.
		want := int32(min(int64(max(maxBytes, 1<<20)), max((s.end-s.start)*int64(size+64), 16<<10)))
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(bootstrap),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {s.partition: kgo.NewOffset().At(s.start)}}),
			kgo.FetchMaxPartitionBytes(want),
			kgo.FetchMaxBytes(want),
		)
		if err != nil {
			fail(err)
		}
		defer cl.Close()
		cls[c] = cl
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	var records, bytes atomic.Int64
	var wg sync.WaitGroup
	for c, cl := range cls {
		s := slices[c]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for have := s.start; have < s.end; {
				fs := cl.PollFetches(ctx)
				if ctx.Err() != nil {
					fail(fmt.Errorf("%d records read before the deadline (%d clients)", records.Load(), n))
				}
				for _, e := range fs.Errors() {
					fail(fmt.Errorf("fetching %s[%d]: %w", e.Topic, e.Partition, e.Err))
				}
				fs.EachRecord(func(r *kgo.Record) {
					if r.Offset >= s.start && r.Offset < s.end {
						records.Add(1)
						bytes.Add(int64(len(r.Value)))
					}
					have = max(have, r.Offset+1)
				})
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0).Seconds()
	out, _ := json.Marshal(map[string]any{
		"records":         records.Load(),
		"bytes":           bytes.Load(),
		"seconds":         wall,
		"client_cpu_s":    cpuSeconds() - cpu0,
		"mb_per_s":        float64(bytes.Load()) / 1e6 / wall,
		"records_per_sec": float64(records.Load()) / wall,
	})
	fmt.Println(string(out))
}

// Kafka's controller writes at most 10,000 metadata records per request, the topic's own record
// and its configs included (a CreateTopics of exactly 10,000 partitions fails with
// "Unable to perform excessively large batch operation"); 5,000 stays well below on both brokers.
const partitionsPerRequest = 5_000

// create makes the topic with CreateTopics (and CreatePartitions beyond partitionsPerRequest)
// and waits until Metadata shows a leader for every partition; it reports both times.
func create(ctx context.Context, bootstrap, topic string, partitions int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		fail(err)
	}
	defer cl.Close()
	timeoutMillis := func() int32 {
		if dl, ok := ctx.Deadline(); ok {
			return int32(time.Until(dl).Milliseconds())
		}
		return 60_000
	}
	check := func(api string, code int16, message *string) {
		if err := kerr.ErrorForCode(code); err != nil {
			msg := ""
			if message != nil {
				msg = ": " + *message
			}
			fail(fmt.Errorf("%s: %w%s", api, err, msg))
		}
	}
	t0 := time.Now()
	first := min(partitions, partitionsPerRequest)
	for _, rt := range createTopicRequest(ctx, cl, topic, int32(first), timeoutMillis()).Topics {
		check("CreateTopics", rt.ErrorCode, rt.ErrorMessage)
	}
	for have := first; have < partitions; {
		preq := kmsg.NewPtrCreatePartitionsRequest()
		preq.TimeoutMillis = timeoutMillis()
		pt := kmsg.NewCreatePartitionsRequestTopic()
		pt.Topic = topic
		pt.Count = int32(min(partitions, have+partitionsPerRequest))
		preq.Topics = append(preq.Topics, pt)
		presp, err := preq.RequestWith(ctx, cl)
		if err != nil {
			fail(fmt.Errorf("CreatePartitions to %d after %.1f s: %w", pt.Count, time.Since(t0).Seconds(), err))
		}
		for _, rt := range presp.Topics {
			check(fmt.Sprintf("CreatePartitions to %d after %.1f s", pt.Count, time.Since(t0).Seconds()), rt.ErrorCode, rt.ErrorMessage)
		}
		have = int(pt.Count)
	}
	created := time.Since(t0).Seconds()
	for {
		mreq := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(topic)
		mreq.Topics = append(mreq.Topics, mt)
		mresp, err := mreq.RequestWith(ctx, cl)
		if ctx.Err() != nil {
			fail(fmt.Errorf("topic created in %.1f s, but not every partition had a leader before the deadline", created))
		}
		if err == nil && len(mresp.Topics) == 1 && len(mresp.Topics[0].Partitions) == partitions {
			led := 0
			for _, p := range mresp.Topics[0].Partitions {
				if p.ErrorCode == 0 && p.Leader >= 0 {
					led++
				}
			}
			if led == partitions {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := json.Marshal(map[string]any{"partitions": partitions, "create_s": created, "ready_s": time.Since(t0).Seconds()})
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "franz-bench:", err)
	os.Exit(1)
}

// createTopicRequest sends CreateTopics for one topic of `partitions` partitions, replication
// factor 1, and returns the answer for the caller to judge.
func createTopicRequest(ctx context.Context, cl *kgo.Client, topic string, partitions, timeoutMillis int32) *kmsg.CreateTopicsResponse {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = timeoutMillis
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topic
	t.NumPartitions = partitions
	t.ReplicationFactor = 1
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		fail(fmt.Errorf("CreateTopics: %w", err))
	}
	return resp
}
