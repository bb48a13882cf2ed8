package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

// TestAdminQueries runs the admin UI's queries (activity, sessions,
// settings, template lookups) on every database the store supports.
func TestAdminQueries(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
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

	})
}
