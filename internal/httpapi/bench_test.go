package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/enginetest"
)

// BenchmarkTriggerHTTP is the whole trigger path: HTTP in, authenticated,
// validated, rendered, committed (group commit on the SQLite file), published
// on the realtime node, answered. The load comes from the same process over
// loopback, so client and server share the CPU, as with `orqestra bench`.
//
//	go test ./internal/httpapi -run '^$' -bench TriggerHTTP -benchtime 20000x
func BenchmarkTriggerHTTP(b *testing.B) {
	for _, ch := range []string{"PUSH", "EMAIL"} {
		b.Run(ch, func(b *testing.B) {
			// Production caching (keys and templates for 1 s); enginetest turns
			// it off so tests see changes at once.
			e := enginetest.Start(b, enginetest.WithConfig(func(c *config.Config) { c.CacheTTL = time.Second }))
			_, key := e.CreateTenant(b, enginetest.Tenant{Name: "Bench", RateLimit: -1})
			tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}
			client := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			var seq atomic.Int64
			var failed atomic.Int64
			b.SetParallelism(32) // 64 requests in flight on 2 CPUs
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				var buf []byte
				for pb.Next() {
					n := seq.Add(1)
					buf = append(buf[:0], `{"eventType":"global.bench","channels":["`+ch+`"],"payload":{"userId":"u`...)
					buf = strconv.AppendInt(buf, n%1000, 10)
					buf = append(buf, `","recipientEmail":"a@example.com"},"variables":{"title":"Hi","message":"m`...)
					buf = strconv.AppendInt(buf, n, 10)
					buf = append(buf, `"}}`...)
					req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/events/trigger", bytes.NewReader(buf))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("x-api-key", key)
					resp, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						failed.Add(1)
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			// CPU per event (engine and load generator together) is steadier
			// than events/s on a shared machine: 2 free cores sustain about
			// 2e6 / cpu-µs/event events per second.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d triggers failed", n)
			}
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
