package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/dbtest"
	"github.com/orqestra/orqestra/internal/store"
)

// backends runs f once per database: SQLite always, PostgreSQL when
// ORQESTRA_TEST_POSTGRES_URL is set (each in a fresh schema).
func backends(t *testing.T, f func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, dbtest.Schema(t))
	})
}

func open(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)

func tenant(t *testing.T, s *store.Store, id string) {
	t.Helper()
	err := s.CreateTenantWithKey(context.Background(),
		store.Tenant{ID: id, Name: "Acme " + id, Active: true, RateLimit: 100, CORSOrigins: []string{"https://a.example"}, CreatedAt: epoch},
		store.APIKey{ID: "key_" + id, TenantID: id, Hash: "hash_" + id, Prefix: "orq_", CreatedAt: epoch})
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		// Several nodes starting together against one database must all
		// succeed and leave one schema.
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := store.Open(context.Background(), url, nil)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
		}
		s := open(t, url)
		var n int
		if err := s.Read.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM orqestra_migrations`).Scan(&n); err != nil || n < 1 {
			t.Fatalf("migrations recorded: %d, %v", n, err)
		}
	})
}

func TestTenantsAndKeys(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		got, key, err := s.TenantByKeyHash(ctx, "hash_t1")
		if err != nil || got.ID != "t1" || !got.Active || key.ID != "key_t1" || len(got.CORSOrigins) != 1 || !got.CreatedAt.Equal(epoch) {
			t.Fatalf("TenantByKeyHash = %+v %+v %v", got, key, err)
		}
		got.Active = false
		got.RateLimit = 5
		if err := s.UpdateTenant(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Tenant(ctx, "t1"); got.Active || got.RateLimit != 5 {
			t.Fatalf("after update: %+v", got)
		}
		if err := s.UpdateTenant(ctx, store.Tenant{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update unknown tenant: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, "t1", "key_t1", epoch); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, "t1", "key_t1", epoch.Add(time.Hour)); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		if _, _, err := s.TenantByKeyHash(ctx, "hash_t1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked key still found: %v", err)
		}
		keys, err := s.APIKeys(ctx, "t1")
		if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil || !keys[0].RevokedAt.Equal(epoch) {
			t.Fatalf("APIKeys = %+v, %v", keys, err)
		}
		v, err := s.EnsureSetting(ctx, "k", "first")
		if err != nil || v != "first" {
			t.Fatalf("EnsureSetting = %q, %v", v, err)
		}
		if v, _ := s.EnsureSetting(ctx, "k", "second"); v != "first" {
			t.Fatalf("EnsureSetting kept %q, want first", v)
		}
	})
}

func TestTemplateVersions(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		for i := range 3 {
			tp, err := s.SaveTemplate(ctx, store.Template{ID: fmt.Sprintf("tpl%d", i), TenantID: "t1", EventType: "order.shipped", Channel: "PUSH", Body: fmt.Sprintf("v%d", i), Active: i != 2, CreatedAt: epoch})
			if err != nil || tp.Version != i+1 {
				t.Fatalf("save %d: version %d, %v", i, tp.Version, err)
			}
		}
		active, err := s.ActiveTemplates(ctx, "t1")
		if err != nil || len(active) != 1 || active[0].Body != "v1" {
			t.Fatalf("active = %+v, %v", active, err)
		}
		if err := s.SetTemplateActive(ctx, "t1", "tpl2", true); err != nil {
			t.Fatal(err)
		}
		if active, _ := s.ActiveTemplates(ctx, "t1"); len(active) != 1 || active[0].Body != "v2" {
			t.Fatalf("after activate: %+v", active)
		}
		if err := s.SetTemplateActive(ctx, "t1", "nope", true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("activate unknown: %v", err)
		}
	})
}

func write(id, key string, deliveries int) *store.EventWrite {
	w := &store.EventWrite{
		Event:           store.Event{TenantID: "t1", ID: id, EventType: "e", UserID: "u1", Payload: "{}", Variables: "{}", Channels: "PUSH", CreatedAt: epoch},
		Notification:    &store.Notification{ID: "ntf_" + id, TenantID: "t1", UserID: "u1", EventID: id, EventType: "e", Title: "T", Body: "B", Status: store.StatusUnread, CreatedAt: epoch},
		IdempotentSince: epoch.Add(-24 * time.Hour),
	}
	if key != "" {
		w.Idempotency = &store.Idempotency{TenantID: "t1", Key: key, RequestHash: "h", EventID: id, Response: `{"eventId":"` + id + `"}`, CreatedAt: epoch}
	}
	for i := range deliveries {
		w.Deliveries = append(w.Deliveries, store.Delivery{ID: fmt.Sprintf("dlv_%s_%d", id, i), TenantID: "t1", EventID: id, Channel: "EMAIL", Recipient: "a@b.c", Status: store.DeliveryQueued, CreatedAt: epoch})
	}
	return w
}

func commit(t *testing.T, s *store.Store, writes ...*store.EventWrite) []store.WriteOutcome {
	t.Helper()
	ctx := context.Background()
	tx, err := s.BeginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	out := make([]store.WriteOutcome, len(writes))
	if err := s.WriteEvents(ctx, tx, writes, out); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteEventsOutcomes(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		got := commit(t, s, write("e1", "k1", 2), write("e2", "k1", 0), write("e1", "k2", 0), write("e3", "", 1))
		want := []store.WriteOutcome{store.Written, store.DuplicateKey, store.DuplicateEvent, store.Written}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("outcomes = %v, want %v", got, want)
		}
		// k2 was released when its event was a duplicate: a corrected retry may use it.
		if got := commit(t, s, write("e4", "k2", 0)); got[0] != store.Written {
			t.Fatalf("retry with released key: %v", got[0])
		}
		rec, err := s.IdempotencyRecord(ctx, "t1", "k1", epoch.Add(-time.Hour))
		if err != nil || rec.EventID != "e1" {
			t.Fatalf("IdempotencyRecord = %+v, %v", rec, err)
		}
		// An expired key is taken over by a new event.
		w := write("e5", "k1", 0)
		w.IdempotentSince = epoch.Add(time.Second)
		w.Idempotency.CreatedAt = epoch.Add(2 * time.Second)
		if got := commit(t, s, w); got[0] != store.Written {
			t.Fatalf("expired key: %v", got[0])
		}
		if n, _ := s.CountEvents(ctx, "t1"); n != 4 {
			t.Fatalf("events = %d, want 4", n)
		}
		ds, err := s.EventDeliveries(ctx, "t1", "e1")
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries = %+v, %v", ds, err)
		}
		if n, err := s.PurgeIdempotency(ctx, epoch.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("purge = %d, %v (want the one key older than the cut)", n, err)
		}
	})
}

// TestConcurrentDuplicateKey is the cross-node case: two handles (two
// nodes' pools) write the same idempotency key at the same moment. On
// PostgreSQL (READ COMMITTED) the second INSERT ... ON CONFLICT waits for
// the first transaction and then sees the conflict; on SQLite writers are
// serialised. Either way exactly one write is stored.
func TestConcurrentDuplicateKey(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, b := open(t, url), open(t, url)
		tenant(t, a, "t1")
		for round := range 20 {
			key := fmt.Sprintf("k%d", round)
			ta, err := a.BeginWrite(ctx)
			if err != nil {
				t.Fatal(err)
			}
			outA := make([]store.WriteOutcome, 1)
			if err := a.WriteEvents(ctx, ta, []*store.EventWrite{write(key+"a", key, 1)}, outA); err != nil {
				t.Fatal(err)
			}
			// b starts while a holds its uncommitted row.
			outB := make([]store.WriteOutcome, 1)
			done := make(chan error, 1)
			go func() {
				tb, err := b.BeginWrite(ctx)
				if err != nil {
					done <- err
					return
				}
				defer tb.Rollback()
				if err := b.WriteEvents(ctx, tb, []*store.EventWrite{write(key+"b", key, 1)}, outB); err != nil {
					done <- err
					return
				}
				done <- tb.Commit()
			}()
			time.Sleep(5 * time.Millisecond)
			select {
			case err := <-done:
				if !a.Postgres() {
					t.Fatalf("round %d: SQLite writer did not wait for the other: %v", round, err)
				}
				t.Fatalf("round %d: second writer finished before the first committed (%v)", round, err)
			default:
			}
			if err := ta.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("round %d: second writer: %v", round, err)
			}
			if outA[0] != store.Written || outB[0] != store.DuplicateKey {
				t.Fatalf("round %d: outcomes %v %v, want Written DuplicateKey", round, outA[0], outB[0])
			}
		}
		if n, _ := a.CountEvents(ctx, "t1"); n != 20 {
			t.Fatalf("events = %d, want 20", n)
		}
	})
}

func TestInbox(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		var ws []*store.EventWrite
		for i := range 5 {
			ws = append(ws, write(fmt.Sprintf("e%d", i), "", 0))
		}
		commit(t, s, ws...)
		page, next, err := s.History(ctx, "t1", "u1", store.HistoryQuery{Limit: 2})
		if err != nil || len(page) != 2 || next == "" || page[0].ID != "ntf_e4" {
			t.Fatalf("page 1 = %+v %q %v", page, next, err)
		}
		page, next, _ = s.History(ctx, "t1", "u1", store.HistoryQuery{Limit: 2, Cursor: next})
		if len(page) != 2 || page[0].ID != "ntf_e2" {
			t.Fatalf("page 2 = %+v", page)
		}
		page, next, _ = s.History(ctx, "t1", "u1", store.HistoryQuery{Limit: 2, Cursor: next})
		if len(page) != 1 || next != "" {
			t.Fatalf("last page = %+v %q", page, next)
		}
		if err := s.MarkRead(ctx, "t1", "u1", "ntf_e0", epoch); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRead(ctx, "t1", "u2", "ntf_e0", epoch); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another user's notification: %v", err)
		}
		if n, _ := s.UnreadCount(ctx, "t1", "u1"); n != 4 {
			t.Fatalf("unread = %d, want 4", n)
		}
		if page, _, _ := s.History(ctx, "t1", "u1", store.HistoryQuery{Limit: 10, Status: store.StatusRead}); len(page) != 1 {
			t.Fatalf("read filter = %+v", page)
		}
		if n, err := s.MarkAllRead(ctx, "t1", "u1", epoch); err != nil || n != 4 {
			t.Fatalf("mark all = %d, %v", n, err)
		}
		if ns, err := s.EventNotifications(ctx, "t1", "e3"); err != nil || len(ns) != 1 || ns[0].Status != store.StatusRead {
			t.Fatalf("by event = %+v, %v", ns, err)
		}
	})
}

// TestUnreadCountCap: the count is exact up to store.UnreadCountCap and
// stops there.
func TestUnreadCountCap(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		var ws []*store.EventWrite
		for i := range store.UnreadCountCap - 1 {
			ws = append(ws, write(fmt.Sprintf("e%d", i), "", 0))
		}
		commit(t, s, ws...)
		if n, err := s.UnreadCount(ctx, "t1", "u1"); err != nil || n != store.UnreadCountCap-1 {
			t.Fatalf("unread = %d, %v; want %d (exact below the cap)", n, err, store.UnreadCountCap-1)
		}
		commit(t, s, write("x0", "", 0))
		if n, err := s.UnreadCount(ctx, "t1", "u1"); err != nil || n != store.UnreadCountCap {
			t.Fatalf("unread = %d, %v; want %d (exact at the cap)", n, err, store.UnreadCountCap)
		}
		ws = ws[:0]
		for i := range 500 {
			ws = append(ws, write(fmt.Sprintf("y%d", i), "", 0))
		}
		commit(t, s, ws...)
		if n, err := s.UnreadCount(ctx, "t1", "u1"); err != nil || n != store.UnreadCountCap {
			t.Fatalf("unread = %d, %v; want %d (capped)", n, err, store.UnreadCountCap)
		}
		if err := s.MarkRead(ctx, "t1", "u1", "ntf_e0", epoch); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.UnreadCount(ctx, "t1", "u1"); n != store.UnreadCountCap {
			t.Fatalf("unread = %d after one read of 1,500, want %d", n, store.UnreadCountCap)
		}
		if n, _ := s.UnreadCount(ctx, "t1", "u2"); n != 0 {
			t.Fatalf("another user's unread = %d", n)
		}
	})
}

func TestDeliveriesAndOutbox(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		commit(t, s, write("e1", "", 1))
		id := "dlv_e1_0"
		if err := s.UpdateDelivery(ctx, "t1", id, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: 1, LastError: "boom", At: epoch}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateDelivery(ctx, "t1", id, store.DeliveryUpdate{Status: store.DeliverySent, Attempts: 2, Provider: "outbox", At: epoch.Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		// A late failure report must not undo a send.
		if err := s.UpdateDelivery(ctx, "t1", id, store.DeliveryUpdate{Status: store.DeliveryFailed, Attempts: 3, At: epoch.Add(2 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		d, err := s.Delivery(ctx, "t1", id)
		if err != nil || d.Status != store.DeliverySent || d.Attempts != 2 || d.SentAt == nil || !d.SentAt.Equal(epoch.Add(time.Second)) {
			t.Fatalf("delivery = %+v, %v", d, err)
		}
		for range 2 {
			if err := s.SaveOutboxMessage(ctx, store.OutboxMessage{ID: "obx1", DeliveryID: id, TenantID: "t1", Channel: "EMAIL", Recipient: "a@b.c", CreatedAt: epoch}); err != nil {
				t.Fatal(err)
			}
		}
		if ms, err := s.OutboxMessages(ctx, "t1", 10); err != nil || len(ms) != 1 {
			t.Fatalf("outbox = %+v, %v", ms, err)
		}
	})
}

// TestCompleteOutboxDeliveries stores outbox messages and marks their
// deliveries sent in one transaction, idempotently, and refuses any status
// but sent.
func TestCompleteOutboxDeliveries(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		commit(t, s, write("e1", "", 3))
		completion := func(i int, at time.Time) store.OutboxCompletion {
			id := fmt.Sprintf("dlv_e1_%d", i)
			return store.OutboxCompletion{
				Message: store.OutboxMessage{ID: fmt.Sprintf("obx_e1_%d", i), DeliveryID: id, TenantID: "t1", Channel: "EMAIL", Recipient: "a@b.c", Subject: fmt.Sprint("s", i), CreatedAt: at},
				Sent:    store.DeliveryUpdate{Status: store.DeliverySent, Attempts: 1, Provider: "outbox", ProviderMessageID: fmt.Sprintf("obx_e1_%d", i), At: at},
			}
		}
		if err := s.CompleteOutboxDelivery(ctx, completion(0, epoch).Message, completion(0, epoch).Sent); err != nil {
			t.Fatal(err)
		}
		// Again in a batch with two more: the first send's message and time stay.
		later := epoch.Add(time.Minute)
		if err := s.CompleteOutboxDeliveries(ctx, []store.OutboxCompletion{completion(0, later), completion(1, later), completion(2, later)}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			d, err := s.Delivery(ctx, "t1", fmt.Sprintf("dlv_e1_%d", i))
			want := later
			if i == 0 {
				want = epoch
			}
			if err != nil || d.Status != store.DeliverySent || d.Attempts != 1 || d.Provider != "outbox" || d.ProviderMessageID != fmt.Sprintf("obx_e1_%d", i) ||
				d.SentAt == nil || !d.SentAt.Equal(want) {
				t.Fatalf("delivery %d = %+v, %v", i, d, err)
			}
		}
		ms, err := s.OutboxMessages(ctx, "t1", 10)
		if err != nil || len(ms) != 3 {
			t.Fatalf("outbox = %+v, %v", ms, err)
		}
		bad := completion(1, later)
		bad.Sent.Status = store.DeliveryFailed
		if err := s.CompleteOutboxDeliveries(ctx, []store.OutboxCompletion{bad}); err == nil {
			t.Fatal("a failed status was accepted")
		}
	})
}

func TestProviders(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		tenant(t, s, "t1")
		for i, p := range []store.Provider{
			{ID: "p2", Channel: "EMAIL", Kind: "smtp", Name: "backup", Priority: 2, Active: true},
			{ID: "p1", Channel: "EMAIL", Kind: "sendgrid", Name: "main", Priority: 1, Active: true},
			{ID: "p3", Channel: "EMAIL", Kind: "smtp", Name: "off", Priority: 0, Active: false},
			{ID: "p4", Channel: "SMS", Kind: "twilio", Name: "sms", Priority: 1, Active: true},
		} {
			p.TenantID, p.ConfigSealed = "t1", "sealed"
			p.CreatedAt, p.UpdatedAt = epoch.Add(time.Duration(i)*time.Second), epoch
			if err := s.CreateProvider(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		active, err := s.ActiveProviders(ctx, "t1", "EMAIL")
		if err != nil || len(active) != 2 || active[0].ID != "p1" || active[1].ID != "p2" {
			t.Fatalf("active EMAIL providers = %+v, %v (want p1 then p2)", active, err)
		}
		p, err := s.Provider(ctx, "t1", "p3")
		if err != nil || p.Active {
			t.Fatalf("provider = %+v, %v", p, err)
		}
		p.Active, p.Priority = true, 0
		if err := s.UpdateProvider(ctx, p); err != nil {
			t.Fatal(err)
		}
		if active, _ := s.ActiveProviders(ctx, "t1", "EMAIL"); len(active) != 3 || active[0].ID != "p3" {
			t.Fatalf("after update: %+v", active)
		}
		if err := s.DeleteProvider(ctx, "t1", "p3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Provider(ctx, "t1", "p3"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted provider: %v", err)
		}
		if all, _ := s.Providers(ctx, "t1"); len(all) != 3 {
			t.Fatalf("providers = %d, want 3", len(all))
		}
	})
}
