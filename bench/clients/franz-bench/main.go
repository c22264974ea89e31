// A produce load generator that costs less CPU per byte than the broker it loads, so that a
// figure taken with it says what the broker can do (bench/lib/clients.ts). One franz-go client
// (or -clients N, each with its own connection, sharing the count), records built from one
// shared value (1,024 with -compression), no per-record callback work beyond a counter. Prints
// one JSON line: records, bytes, wall seconds and this process's own CPU seconds.
//
//	franz-bench -bootstrap 127.0.0.1:9092 -topic t -count 1000000 -size 100 -acks -1 [-clients 100] [-compression gzip]
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

	"github.com/twmb/franz-go/pkg/kgo"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap server")
	topic := flag.String("topic", "bench", "topic (auto-created by the metadata request)")
	count := flag.Int("count", 1_000_000, "records to produce")
	size := flag.Int("size", 100, "value size in bytes")
	acks := flag.Int("acks", -1, "-1 (all), 1 or 0")
	linger := flag.Duration("linger", 5*time.Millisecond, "linger before a batch is sent")
	batch := flag.Int("batch-bytes", 1_000_000, "largest batch per partition")
	deadline := flag.Duration("deadline", 120*time.Second, "hard time limit")
	clients := flag.Int("clients", 1, "producer clients (connections), each producing its share of -count")
	compression := flag.String("compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	flag.Parse()
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	codec, ok := codecs[*compression]
	if !ok {
		fail(fmt.Errorf("unknown compression %q", *compression))
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
	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()
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
	var failed atomic.Int64
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
				fail(err)
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

func fail(err error) {
	fmt.Fprintln(os.Stderr, "franz-bench:", err)
	os.Exit(1)
}
