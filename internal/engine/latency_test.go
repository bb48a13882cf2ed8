package engine_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/dbtest"
	"github.com/orqestra/orqestra/internal/enginetest"
)

// TestEnqueueToStart measures how long a delivery job waits between the
// trigger's commit and a worker starting it, on SQLite (polling) and on
// PostgreSQL (LISTEN/NOTIFY through the insert-only client's NOTIFY). It
// logs the figures and only fails on gross regressions, since the machine
// is shared.
func TestEnqueueToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement")
	}
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var url string
			if db == "postgres" {
				url = dbtest.Schema(t)
			} else {
				url = "sqlite:" + filepath.Join(t.TempDir(), "o.db")
			}
			e := enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.DatabaseURL = url }))
			_, key := e.CreateTenant(t, enginetest.Tenant{RateLimit: -1})
			const n = 100
			for range n {
				req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/events/trigger", bytes.NewReader([]byte(
					`{"eventType":"global.info","channels":["EMAIL"],"payload":{"userId":"u","recipientEmail":"u@example.com"},"variables":{"title":"t","message":"m"}}`)))
				req.Header.Set("x-api-key", key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("trigger: %v %v", resp, err)
				}
				resp.Body.Close()
				time.Sleep(20 * time.Millisecond) // one at a time: latency, not throughput
			}
			time.Sleep(500 * time.Millisecond)
			// River stamps created_at at insert and attempted_at when a worker
			// takes the job, both from the database's clock.
			q := `SELECT (julianday(attempted_at) - julianday(created_at)) * 86400000.0 FROM river_job WHERE attempted_at IS NOT NULL`
			if e.Store.Postgres() {
				q = `SELECT EXTRACT(EPOCH FROM attempted_at - created_at) * 1000 FROM river_job WHERE attempted_at IS NOT NULL`
			}
			rows, err := e.Store.Read.QueryContext(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var ms []float64
			for rows.Next() {
				var v float64
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				ms = append(ms, v)
			}
			if len(ms) != n {
				t.Fatalf("%d of %d jobs started", len(ms), n)
			}
			slices.Sort(ms)
			p50, p90, p99 := ms[n/2], ms[n*9/10], ms[n*99/100]
			t.Logf("%s enqueue->start over %d jobs: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", db, n, p50, p90, p99, ms[n-1])
			if p50 > 250 {
				t.Errorf("p50 %.1f ms: jobs are waiting for polls, not notifications", p50)
			}
		})
	}
}
