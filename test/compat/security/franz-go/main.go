// franz-go against the security profile: franz-go-security <bootstrap> <target>, client
// "franz-go". SCRAM on SASL_PLAINTEXT and SASL_SSL, TLS with the test CA and with a client
// certificate; errors are results where the scenario is about the error.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

type M = map[string]any

var (
	listeners = map[string]string{}
	certs     = os.Getenv("COMPAT_CERTS")
)

func emit(m M) {
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
}

func tlsConfig(withCert bool) *tls.Config {
	pem, err := os.ReadFile(certs + "/ca.pem")
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withCert {
		cert, err := tls.LoadX509KeyPair(certs+"/client-cert.pem", certs+"/client.key")
		if err != nil {
			panic(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func scramAuth(mechanism, password string) sasl.Mechanism {
	a := scram.Auth{User: "alice", Pass: password}
	if mechanism == "SCRAM-SHA-512" {
		return a.AsSha512Mechanism()
	}
	return a.AsSha256Mechanism()
}

func client(listener string, opts ...kgo.Opt) *kgo.Client {
	base := []kgo.Opt{kgo.SeedBrokers(listeners[listener]), kgo.ClientID("skiff-compat-security-franz-go"),
		kgo.RequestTimeoutOverhead(5 * time.Second), kgo.RetryTimeout(10 * time.Second), kgo.AllowAutoTopicCreation()}
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

// produceConsume: three keyed records in (acks=all, idempotent as franz-go defaults), read back from offset 0.
func produceConsume(ctx context.Context, topic, listener string, opts ...kgo.Opt) (any, error) {
	cl := client(listener, opts...)
	defer cl.Close()
	var sent []string
	for i := 0; i < 3; i++ {
		r := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))})[0]
		if r.Err != nil {
			return nil, r.Err
		}
		sent = append(sent, fmt.Sprintf("%d:%d", r.Record.Partition, r.Record.Offset))
	}
	rd := client(listener, append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(0)}}))...)
	defer rd.Close()
	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := rd.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { got = append(got, fmt.Sprintf("%d:%s=%s", r.Offset, r.Key, r.Value)) })
	}
	return M{"sent": sent, "consumed": got}, nil
}

func scenarios() ([]string, map[string]func(context.Context) (any, error)) {
	order := []string{}
	s := map[string]func(context.Context) (any, error){}
	add := func(name string, fn func(context.Context) (any, error)) { order = append(order, name); s[name] = fn }

	add("sec-fgo-scram-sha-256", func(ctx context.Context) (any, error) {
		return produceConsume(ctx, "sec-fgo-scram-256", "SASL_PLAINTEXT", kgo.SASL(scramAuth("SCRAM-SHA-256", "alice-secret")))
	})
	add("sec-fgo-scram-sha-512", func(ctx context.Context) (any, error) {
		return produceConsume(ctx, "sec-fgo-scram-512", "SASL_PLAINTEXT", kgo.SASL(scramAuth("SCRAM-SHA-512", "alice-secret")))
	})
	add("sec-fgo-tls", func(ctx context.Context) (any, error) {
		return produceConsume(ctx, "sec-fgo-tls", "SSL", kgo.DialTLSConfig(tlsConfig(false)))
	})
	add("sec-fgo-mtls", func(ctx context.Context) (any, error) {
		return produceConsume(ctx, "sec-fgo-mtls", "MTLS", kgo.DialTLSConfig(tlsConfig(true)))
	})
	add("sec-fgo-sasl-ssl-scram", func(ctx context.Context) (any, error) {
		return produceConsume(ctx, "sec-fgo-sasl-ssl", "SASL_SSL", kgo.DialTLSConfig(tlsConfig(false)), kgo.SASL(scramAuth("SCRAM-SHA-512", "alice-secret")))
	})
	add("sec-fgo-denied-produce", func(ctx context.Context) (any, error) {
		// Not idempotent: the refusal to test is Produce's, not InitProducerId's.
		cl := client("SASL_PLAINTEXT", kgo.SASL(scramAuth("SCRAM-SHA-256", "alice-secret")), kgo.DisableIdempotentWrite())
		defer cl.Close()
		r := cl.ProduceSync(ctx, &kgo.Record{Topic: "sec-denied", Value: []byte("v")})[0]
		if r.Err == nil {
			return M{"error": nil}, nil
		}
		return M{"error": errName(r.Err)}, nil
	})
	add("sec-fgo-wrong-password-scram", func(ctx context.Context) (any, error) {
		cl := client("SASL_PLAINTEXT", kgo.SASL(scramAuth("SCRAM-SHA-256", "wrong")), kgo.RetryTimeout(2*time.Second))
		defer cl.Close()
		err := cl.Ping(ctx)
		if err == nil {
			return M{"error": nil}, nil
		}
		var ke *kerr.Error
		if errors.As(err, &ke) {
			// kerr wraps the broker's message: keep its text without addresses.
			msg := err.Error()
			if i := strings.Index(msg, ke.Message); i >= 0 {
				msg = msg[i:]
			}
			return M{"error": ke.Message, "message": msg}, nil
		}
		return M{"error": err.Error()}, nil
	})
	return order, s
}

func main() {
	for _, e := range strings.Split(os.Getenv("COMPAT_LISTENERS"), ",") {
		if name, addr, ok := strings.Cut(e, "="); ok {
			listeners[name] = addr
		}
	}
	target := os.Args[2]
	order, s := scenarios()
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
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		res, err := s[name](ctx)
		cancel()
		if err != nil {
			emit(M{"client": "franz-go", "scenario": name, "ok": false, "error": errName(err)})
		} else {
			emit(M{"client": "franz-go", "scenario": name, "ok": true, "result": res})
		}
		fmt.Fprintf(os.Stderr, "[franz-go@%s] %s %d ms\n", target, name, time.Since(t0).Milliseconds())
	}
}
