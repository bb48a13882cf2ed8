package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/metrics"
)

func TestExposition(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.ObserveTrigger(200, 800*time.Microsecond)
	m.ObserveTrigger(200, 2*time.Millisecond)
	m.ObserveTrigger(418, time.Millisecond) // not pre-resolved
	m.ObserveDelivery("EMAIL", "outbox", "sent", 30*time.Millisecond)
	m.ObserveDelivery("SMS", "twilio", "retrying", time.Second)
	m.Gauge("orqestra_realtime_clients", "clients", func() float64 { return 7 })

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`orqestra_triggers_total{status="200"} 2`,
		`orqestra_triggers_total{status="418"} 1`,
		`orqestra_trigger_duration_seconds_count{status="200"} 2`,
		`orqestra_deliveries_total{channel="EMAIL",provider="outbox",status="sent"} 1`,
		`orqestra_deliveries_total{channel="SMS",provider="twilio",status="retrying"} 1`,
		`orqestra_delivery_duration_seconds_count{channel="EMAIL"} 1`,
		`orqestra_realtime_clients 7`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNilRecordsNothing(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.ObserveTrigger(200, time.Millisecond)
	m.ObserveDelivery("EMAIL", "outbox", "sent", time.Millisecond)
}

func BenchmarkObserveTrigger(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveTrigger(200, 900*time.Microsecond)
		}
	})
}
