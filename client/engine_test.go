package client_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/store"
)

// testEngine is a real engine (real listener, SQLite file, River workers)
// with one tenant, "Acme".
type testEngine struct {
	URL      string
	TenantID string
	APIKey   string
	*enginetest.Engine
}

func startEngine(t testing.TB, tenant enginetest.Tenant) testEngine {
	t.Helper()
	e := enginetest.Start(t)
	if tenant.Name == "" {
		tenant.Name = "Acme"
	}
	tenantID, apiKey := e.CreateTenant(t, tenant)
	return testEngine{URL: e.URL, TenantID: tenantID, APIKey: apiKey, Engine: e}
}

// activate gives the tenant active templates for eventType on channels, as
// the seed's pre-flight step 2 does in the Admin UI.
func (e testEngine) activate(t testing.TB, eventType string, channels ...string) {
	t.Helper()
	for _, ch := range channels {
		_, err := e.Store.SaveTemplate(context.Background(), store.Template{
			ID: "tpl_" + eventType + "_" + ch, TenantID: e.TenantID, EventType: eventType, Channel: ch, Category: "general", CreatedAt: time.Now(),
			Title: "{{title}}", Subject: "About {{title}}", Body: "Hello {{firstName}}", Active: true,
		})
		if err != nil {
			t.Fatalf("save template %s/%s: %v", eventType, ch, err)
		}
	}
}

// mainTB lets TestMain start an engine for the examples, which get no
// testing.T. It implements what enginetest.Start uses; anything else panics
// on the nil embedded TB, which is a loud failure, not a silent one.
type mainTB struct {
	testing.TB
	cleanups []func()
	dirs     []string
}

func (m *mainTB) Helper()             {}
func (m *mainTB) Cleanup(f func())    { m.cleanups = append(m.cleanups, f) }
func (m *mainTB) Logf(string, ...any) {}
func (m *mainTB) Errorf(format string, args ...any) {
	os.Stderr.WriteString("examples engine: " + sprintf(format, args...) + "\n")
}
func (m *mainTB) Fatalf(format string, args ...any) {
	m.Errorf(format, args...)
	m.close()
	os.Exit(1)
}
func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "orqestra-examples-")
	if err != nil {
		m.Fatalf("temp dir: %v", err)
	}
	m.dirs = append(m.dirs, dir)
	return dir
}
func (m *mainTB) close() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
	for _, d := range m.dirs {
		os.RemoveAll(d)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
