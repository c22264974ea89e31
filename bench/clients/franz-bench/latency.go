package main

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type latencyOpts struct {
	bootstrap, topic string
	rate             int
	warmup, seconds  time.Duration
	size, acks       int
	e2e              bool
}

// latency produces to partition 0 of a one-partition topic at a fixed rate. Record i is due at
// t0 + i/rate; its latency runs from that intended time to its acknowledgement (with -e2e also
// to when a consumer in this process reads it back), not from when it was actually handed to
// the client: a broker stall then delays every record due during it, as it would delay an
// application's, instead of only the one in flight (coordinated omission). "call" figures run
// from the actual Produce call, and "lag" is how late the sender itself was, so a run where the
// client could not keep to the schedule shows as such. Records of the warm-up are left out.
func latency(ctx context.Context, o latencyOpts) {
	if o.rate <= 0 || o.warmup < 0 {
		fail(errors.New("latency needs -rate > 0 and -warmup >= 0"))
	}
	warm := int(o.warmup.Seconds() * float64(o.rate))
	total := warm + int(o.seconds.Seconds()*float64(o.rate))
	if total-warm < 2 {
		fail(errors.New("latency: -rate times -seconds must be at least 2 records"))
	}
	createOnePartition(ctx, o.bootstrap, o.topic)

	opts := []kgo.Opt{
		kgo.SeedBrokers(o.bootstrap),
		kgo.DefaultProduceTopic(o.topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		// Sent as soon as the connection is free: a linger would be most of the latency at low
		// rates, on both brokers alike (the Java rows use linger.ms=0 too).
		kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(max(total, 1024)),
		// franz-go would pick snappy; Kafka's clients send uncompressed by default.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	}
	// Idempotence is the client's default with acks=-1, as for the Java tool's rows; acks=1
	// needs it off, and then five requests in flight, as idempotence allows and as the Java
	// producer's default, so that the two rows differ only in acks (franz-go's own default would be one).
	switch o.acks {
	case -1:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case 1:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(5))
	default:
		fail(errors.New("latency: acks must be -1 or 1"))
	}
	pr, err := kgo.NewClient(opts...)
	if err != nil {
		fail(err)
	}
	defer pr.Close()
	value := make([]byte, o.size)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	// Metadata, connection and producer id before the clock starts.
	if err := pr.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
		fail(err)
	}

	// Nanoseconds since t0, per record: when it was due, handed to the client, acknowledged, read.
	t0 := time.Now()
	var read []int64
	var consumed chan error
	if o.e2e {
		read = make([]int64, total)
		consumed = make(chan error, 1)
		ready := make(chan struct{})
		go consumeBack(ctx, o.bootstrap, o.topic, total, t0, read, ready, consumed)
		// The consumer has read the warm-up record above: its fetch session is live.
		select {
		case <-ready:
		case err := <-consumed:
			fail(err)
		}
	}
	start := int64(time.Since(t0))
	due := func(i int) int64 { return start + int64(i)*int64(time.Second)/int64(o.rate) }
	called := make([]int64, total)
	acked := make([]int64, total)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	wg.Add(total)
	cpu0 := cpuSeconds()
	go func() {
		// Go's timers wake up to a millisecond late here; nanosleep on a thread of its own with
		// the timer slack at 1 ns wakes within tens of microseconds.
		runtime.LockOSThread()
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, 29 /* PR_SET_TIMERSLACK */, 1, 0)
		for i := 0; i < total; i++ {
			if wait := due(i) - int64(time.Since(t0)); wait > 0 {
				ts := syscall.NsecToTimespec(wait)
				_ = syscall.Nanosleep(&ts, nil)
			}
			r := &kgo.Record{Value: value, Partition: 0}
			if o.e2e {
				// The record's number, so the reader knows when it was due.
				r.Key = binary.BigEndian.AppendUint64(nil, uint64(i))
			}
			called[i] = int64(time.Since(t0))
			pr.Produce(ctx, r, func(_ *kgo.Record, err error) {
				acked[i] = int64(time.Since(t0))
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
				wg.Done()
			})
		}
	}()
	wg.Wait()
	cpu := cpuSeconds() - cpu0
	if firstErr != nil {
		fail(fmt.Errorf("produce: %w", firstErr))
	}
	if o.e2e {
		if err := <-consumed; err != nil {
			fail(err)
		}
	}

	n := total - warm
	sendSpan := float64(called[total-1]-called[warm]) / 1e9
	out := map[string]any{
		"records":       n,
		"bytes":         int64(n) * int64(o.size),
		"rate":          o.rate,
		"achieved_rate": float64(n-1) / max(sendSpan, 1e-9),
		"client_cpu_s":  cpu,
	}
	from := func(prefix string, end []int64, start func(i int) int64) {
		d := make([]int64, 0, n)
		for i := warm; i < total; i++ {
			d = append(d, end[i]-start(i))
		}
		slices.Sort(d)
		// Milliseconds with microsecond resolution; nearest-rank percentiles.
		ms := func(ns int64) float64 { return float64(ns/1000) / 1000 }
		at := func(p float64) float64 { return ms(d[max(0, int(float64(n)*p+0.999999)-1)]) }
		var sum int64
		for _, v := range d {
			sum += v
		}
		out[prefix+"avg_ms"] = ms(sum / int64(n))
		out[prefix+"p50_ms"] = at(0.5)
		out[prefix+"p99_ms"] = at(0.99)
		out[prefix+"p999_ms"] = at(0.999)
		out[prefix+"max_ms"] = ms(d[n-1])
	}
	from("", acked, due)
	from("call_", acked, func(i int) int64 { return called[i] })
	from("lag_", called, due)
	if o.e2e {
		from("e2e_", read, due)
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
}

// createOnePartition creates the topic with one partition (whatever the broker's num.partitions),
// or keeps it if it exists.
func createOnePartition(ctx context.Context, bootstrap, topic string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		fail(err)
	}
	defer cl.Close()
	for _, rt := range createTopicRequest(ctx, cl, topic, 1, 30_000).Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			fail(fmt.Errorf("CreateTopics: %w", err))
		}
	}
}

// consumeBack reads partition 0 from the start and stamps when each numbered record arrives;
// ready is closed at the first record (the producer's unnumbered warm-up one).
func consumeBack(ctx context.Context, bootstrap, topic string, total int, t0 time.Time, read []int64, ready chan struct{}, done chan<- error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
	)
	if err != nil {
		done <- err
		return
	}
	defer cl.Close()
	got := 0
	for got < total {
		fs := cl.PollFetches(ctx)
		now := int64(time.Since(t0))
		if ctx.Err() != nil {
			done <- fmt.Errorf("e2e: %d of %d records read back before the deadline", got, total)
			return
		}
		for _, e := range fs.Errors() {
			done <- fmt.Errorf("e2e: fetching %s[%d]: %w", e.Topic, e.Partition, e.Err)
			return
		}
		fs.EachRecord(func(r *kgo.Record) {
			if len(r.Key) != 8 {
				if ready != nil {
					close(ready)
					ready = nil
				}
				return
			}
			if i := binary.BigEndian.Uint64(r.Key); i < uint64(total) && read[i] == 0 {
				read[i] = now
				got++
			}
		})
	}
	done <- nil
}
