package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/orqestra/orqestra/internal/store"
)

// TestAdminQueriesOnPostgres runs the admin UI's queries (activity, sessions,
// settings, template lookups) on PostgreSQL, in a schema of its own holding
// the migrations' tables, to prove the SQL is portable. It needs
// ORQESTRA_TEST_POSTGRES_URL.
func TestAdminQueriesOnPostgres(t *testing.T) {
	url := os.Getenv("ORQESTRA_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("set ORQESTRA_TEST_POSTGRES_URL to run the PostgreSQL checks")
	}
	ctx := context.Background()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // keeps search_path on the one connection
	if err := db.PingContext(ctx); err != nil {
		t.Skipf("PostgreSQL not reachable: %v", err)
	}
	schema := fmt.Sprintf("admin_check_%d", time.Now().UnixNano())
	for _, q := range []string{"CREATE SCHEMA " + schema, "SET search_path TO " + schema} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	s := &store.Store{Write: db, Read: db}
	testActivity(t, s)

	now := time.Now()
	if err := s.PutSetting(ctx, "k", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSetting(ctx, "k", "2"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx, "k"); err != nil || v != "2" {
		t.Fatalf("setting = %q, %v", v, err)
	}
	if err := s.CreateAdminSession(ctx, store.AdminSession{IDHash: "h1", CSRFToken: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if a, err := s.AdminSession(ctx, "h1", now); err != nil || a.CSRFToken != "c1" {
		t.Fatalf("session = %+v, %v", a, err)
	}
	if _, err := s.AdminSession(ctx, "h1", now.Add(2*time.Hour)); err != store.ErrNotFound {
		t.Fatalf("expired session: %v", err)
	}
	if err := s.DeleteAdminSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdminSession(ctx, "h1", now); err != store.ErrNotFound {
		t.Fatalf("deleted session: %v", err)
	}
	tpl, err := s.SaveTemplate(ctx, store.Template{ID: "tpl_1", TenantID: "ten_a", EventType: "order.confirmed", Channel: "EMAIL", Subject: "S", Body: "B", Active: true, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Template(ctx, "ten_a", tpl.ID); err != nil || got.Version != 1 || !got.Active {
		t.Fatalf("template = %+v, %v", got, err)
	}
	if _, err := s.Template(ctx, "ten_b", tpl.ID); err != store.ErrNotFound {
		t.Fatalf("another tenant's template: %v", err)
	}
	if v, err := s.TemplateVersions(ctx, "ten_a", "order.confirmed", "EMAIL"); err != nil || len(v) != 1 {
		t.Fatalf("versions = %v, %v", v, err)
	}
	if n, err := s.EventNotifications(ctx, "ten_a", "evt_00"); err != nil || len(n) != 0 {
		t.Fatalf("notifications = %v, %v", n, err)
	}
}
