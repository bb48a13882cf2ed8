package metrics_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/enginetest"
)

// TestEngineServesMetrics checks that a running engine counts triggers by
// status and exposes queue depth and connected clients at /metrics.
func TestEngineServesMetrics(t *testing.T) {
	e := enginetest.Start(t)
	_, key := e.CreateTenant(t, enginetest.Tenant{})
	for _, k := range []string{key, key, "orq_wrong"} {
		req, _ := http.NewRequest("POST", e.URL+"/api/v1/events/trigger",
			strings.NewReader(`{"eventType":"global.info","channels":["PUSH"],"payload":{"userId":"u1"},"variables":{"title":"T","message":"M"}}`))
		req.Header.Set("x-api-key", k)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(e.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`orqestra_triggers_total{status="200"} 2`,
		`orqestra_triggers_total{status="401"} 1`,
		`orqestra_trigger_duration_seconds_count{status="200"} 2`,
		`orqestra_queue_depth 0`,
		`orqestra_realtime_clients 0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(b), key) {
		t.Error("/metrics shows an API key")
	}
}

// TestMetricsToken: with ORQESTRA_METRICS_TOKEN set, /metrics needs it.
func TestMetricsToken(t *testing.T) {
	e := enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.MetricsToken = "scrape-secret" }))
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer scrape-secret", 200}} {
		req, _ := http.NewRequest("GET", e.URL+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
}
