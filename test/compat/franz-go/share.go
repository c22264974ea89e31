// Share groups (KIP-932) with franz-go's share consumer: several consumers on one partition,
// the acknowledgement types and the delivery count limit.
package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// shareSetUp makes a one-partition topic holding `batches` batches of 5 records, and sets the
// group's share.auto.offset.reset=earliest plus `configs`.
func shareSetUp(ctx context.Context, name, group string, batches int, configs map[string]string) (string, error) {
	topic := prefix + name
	if err := createTopic(ctx, topic, 1, nil); err != nil {
		return "", err
	}
	cl := client(kgo.DisableIdempotentWrite(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType = kmsg.ConfigResourceTypeGroupConfig
	res.ResourceName = group
	configs["share.auto.offset.reset"] = "earliest"
	for k, v := range configs {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Op, c.Value = k, kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(v)
		res.Configs = append(res.Configs, c)
	}
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return "", err
	}
	if code := resp.Resources[0].ErrorCode; code != 0 {
		return "", fmt.Errorf("group config: error %d", code)
	}
	var all [][]*kgo.Record
	for b := 0; b < batches; b++ {
		var batch []*kgo.Record
		for i := 0; i < 5; i++ {
			batch = append(batch, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("v%d", b*5+i))})
		}
		all = append(all, batch)
	}
	if _, err := produce(ctx, cl, all); err != nil {
		return "", err
	}
	return topic, nil
}

func shareConsumer(group, topic string) *kgo.Client {
	return client(kgo.ShareGroup(group), kgo.ConsumeTopics(topic), kgo.ShareMaxRecords(5))
}

// sharePoll polls until `done` or the deadline, handing every record to `each`.
func sharePoll(ctx context.Context, cl *kgo.Client, d time.Duration, done func() bool, each func(*kgo.Record)) {
	deadline := time.Now().Add(d)
	for !done() && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		cl.PollFetches(pctx).EachRecord(each)
		cancel()
	}
}

func addShareScenarios(add func(string, func(context.Context) (any, error))) {
	add("share-two-consumers", func(ctx context.Context) (any, error) {
		group := prefix + "share-two"
		topic, err := shareSetUp(ctx, "share-two", group, 6, map[string]string{})
		if err != nil {
			return nil, err
		}
		a, b := shareConsumer(group, topic), shareConsumer(group, topic)
		defer a.Close()
		defer b.Close()
		seen := map[int64]int{}
		delivered := 0
		deadline := time.Now().Add(30 * time.Second)
		for len(seen) < 30 && time.Now().Before(deadline) {
			for _, c := range []*kgo.Client{a, b} {
				pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				c.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
					seen[r.Offset]++
					delivered++
					r.Ack(kgo.AckAccept)
				})
				cancel()
			}
		}
		twice := 0
		for _, n := range seen {
			if n > 1 {
				twice++
			}
		}
		return M{"delivered": delivered, "distinct": len(seen), "deliveredTwice": twice}, nil
	})
	add("share-acknowledge-types", func(ctx context.Context) (any, error) {
		group := prefix + "share-ack"
		topic, err := shareSetUp(ctx, "share-ack", group, 2, map[string]string{})
		if err != nil {
			return nil, err
		}
		cl := shareConsumer(group, topic)
		defer cl.Close()
		// Offsets 0, 3, 6, 9 accepted, 1, 4, 7 released (and accepted when they come back), 2, 5, 8 rejected.
		first, again := []int64{}, [][]int64{}
		statuses := []kgo.AckStatus{kgo.AckAccept, kgo.AckRelease, kgo.AckReject}
		sharePoll(ctx, cl, 30*time.Second, func() bool { return len(first) >= 10 && len(again) >= 3 }, func(r *kgo.Record) {
			if r.DeliveryCount() > 1 {
				again = append(again, []int64{r.Offset, int64(r.DeliveryCount())})
				r.Ack(kgo.AckAccept)
				return
			}
			first = append(first, r.Offset)
			r.Ack(statuses[r.Offset%3])
		})
		after := []int64{}
		sharePoll(ctx, cl, 2*time.Second, func() bool { return false }, func(r *kgo.Record) { after = append(after, r.Offset) })
		sort.Slice(first, func(i, j int) bool { return first[i] < first[j] })
		sort.Slice(again, func(i, j int) bool { return again[i][0] < again[j][0] })
		return M{"first": first, "redelivered": again, "after": after}, nil
	})
	add("share-delivery-limit", func(ctx context.Context) (any, error) {
		group := prefix + "share-limit"
		topic, err := shareSetUp(ctx, "share-limit", group, 1, map[string]string{"share.delivery.count.limit": "2"})
		if err != nil {
			return nil, err
		}
		cl := shareConsumer(group, topic)
		defer cl.Close()
		// Every delivery is released: after the second one the records are archived.
		deliveries := [][]int64{}
		sharePoll(ctx, cl, 30*time.Second, func() bool { return len(deliveries) >= 10 }, func(r *kgo.Record) {
			deliveries = append(deliveries, []int64{r.Offset, int64(r.DeliveryCount())})
			r.Ack(kgo.AckRelease)
		})
		after := []int64{}
		sharePoll(ctx, cl, 2*time.Second, func() bool { return false }, func(r *kgo.Record) { after = append(after, r.Offset) })
		return M{"deliveries": deliveries, "after": after}, nil
	})
}
