// Share group consumption throughput: N franz-go share consumers (KIP-932) of one share group
// read a topic that already holds `count` records, each record accepted (implicitly, on the
// next poll). Prints one JSON line: records delivered, distinct offsets, seconds from the first
// record to the last (joining the group is not measured: it is reported apart as
// first_record_s, from the consumers' start), records per second over that span, and this
// process's CPU seconds.
//
//	share-bench -bootstrap 127.0.0.1:9092 -topic t -group g -count 200000 -consumers 4
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap server")
	topic := flag.String("topic", "bench", "topic holding the records")
	group := flag.String("group", "share-bench", "share group (fresh per run)")
	count := flag.Int("count", 100_000, "records in the topic")
	consumers := flag.Int("consumers", 1, "share consumers in the group")
	deadline := flag.Duration("deadline", 120*time.Second, "hard time limit")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(*bootstrap))
	if err != nil {
		fail(err)
	}
	// The group reads the topic from its start (share.auto.offset.reset=earliest).
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType = kmsg.ConfigResourceTypeGroupConfig
	res.ResourceName = *group
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = "share.auto.offset.reset", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr("earliest")
	res.Configs = append(res.Configs, c)
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, admin)
	admin.Close()
	if err != nil {
		fail(err)
	}
	if code := resp.Resources[0].ErrorCode; code != 0 {
		fail(fmt.Errorf("group config: error %d", code))
	}

	var delivered atomic.Int64
	var seen sync.Map
	var distinct atomic.Int64
	cpu0 := cpuSeconds()
	t0 := time.Now()
	var first, last atomic.Int64
	// Deliveries up to the last new record: what consumers closing at the end hand back is not counted.
	var deliveredAtEnd atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < *consumers; i++ {
		cl, err := kgo.NewClient(kgo.SeedBrokers(*bootstrap), kgo.ShareGroup(*group), kgo.ConsumeTopics(*topic))
		if err != nil {
			fail(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cl.Close()
			for distinct.Load() < int64(*count) && ctx.Err() == nil {
				pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				cl.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
					first.CompareAndSwap(0, time.Since(t0).Nanoseconds())
					delivered.Add(1)
					if _, dup := seen.LoadOrStore(r.Offset, struct{}{}); !dup {
						if distinct.Add(1) == int64(*count) {
							last.Store(time.Since(t0).Nanoseconds())
							deliveredAtEnd.Store(delivered.Load())
						}
					}
				})
				pcancel()
			}
		}()
	}
	wg.Wait()
	if distinct.Load() < int64(*count) {
		fail(fmt.Errorf("read %d of %d records before the deadline", distinct.Load(), *count))
	}
	wall := time.Duration(last.Load() - first.Load()).Seconds()
	out, _ := json.Marshal(map[string]any{
		"consumers":       *consumers,
		"records":         deliveredAtEnd.Load(),
		"distinct":        distinct.Load(),
		"first_record_s":  time.Duration(first.Load()).Seconds(),
		"seconds":         wall,
		"records_per_sec": float64(*count) / wall,
		"client_cpu_s":    cpuSeconds() - cpu0,
	})
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "share-bench:", err)
	os.Exit(1)
}
