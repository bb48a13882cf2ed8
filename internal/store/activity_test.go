package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

func TestRecentEventsFiltersAndPages(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) { testActivity(t, open(t, url)) })
}

// testActivity runs against any database holding the schema.
func testActivity(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, id := range []string{"ten_a", "ten_b"} {
		if err := s.CreateTenant(ctx, store.Tenant{ID: id, Name: id, Active: true, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	var writes []*store.EventWrite
	for i := range 7 {
		tenant, user, typ := "ten_a", "u1", "order.confirmed"
		if i%2 == 1 {
			user, typ = "u2", "global.info"
		}
		if i == 6 {
			tenant = "ten_b"
		}
		id := fmt.Sprintf("evt_%02d", i)
		// Events 2 and 3 share a timestamp, so the cursor must break ties by id.
		at := now.Add(time.Duration(min(i, 2)+max(i-3, 0)) * time.Second)
		status := store.DeliverySent
		if i == 4 {
			status = store.DeliveryFailed
		}
		writes = append(writes, &store.EventWrite{
			Event:      store.Event{TenantID: tenant, ID: id, EventType: typ, UserID: user, Payload: "{}", Variables: "{}", Channels: "EMAIL", CreatedAt: at},
			Deliveries: []store.Delivery{{ID: "dlv_" + id, TenantID: tenant, EventID: id, Channel: "EMAIL", Recipient: "a@example.test", Status: status, CreatedAt: at}},
		})
	}
	tx, err := s.BeginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteEvents(ctx, tx, writes, make([]store.WriteOutcome, len(writes))); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	ids := func(f store.ActivityFilter) ([]string, *store.ActivityCursor) {
		t.Helper()
		list, next, err := s.RecentEvents(ctx, "ten_a", f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range list {
			out = append(out, e.ID)
		}
		return out, next
	}
	for name, tc := range map[string]struct {
		f    store.ActivityFilter
		want string
	}{
		"all":       {store.ActivityFilter{}, "[evt_05 evt_04 evt_03 evt_02 evt_01 evt_00]"},
		"type":      {store.ActivityFilter{EventType: "global.info"}, "[evt_05 evt_03 evt_01]"},
		"user":      {store.ActivityFilter{UserID: "u1"}, "[evt_04 evt_02 evt_00]"},
		"status":    {store.ActivityFilter{Status: store.DeliveryFailed}, "[evt_04]"},
		"combined":  {store.ActivityFilter{UserID: "u1", Status: store.DeliverySent}, "[evt_02 evt_00]"},
		"no match":  {store.ActivityFilter{EventType: "nope"}, "[]"},
		"other ten": {store.ActivityFilter{UserID: "u1", EventType: "global.info"}, "[]"},
	} {
		if got, _ := ids(tc.f); fmt.Sprint(got) != tc.want && !(tc.want == "[]" && got == nil) {
			t.Errorf("%s: %v, want %s", name, got, tc.want)
		}
	}

	// Pages of two walk every event once, across the tie.
	var all []string
	f := store.ActivityFilter{Limit: 2}
	for {
		page, next := ids(f)
		all = append(all, page...)
		if next == nil {
			break
		}
		cur, err := store.ParseActivityCursor(next.String())
		if err != nil {
			t.Fatal(err)
		}
		f.Before = &cur
	}
	if fmt.Sprint(all) != "[evt_05 evt_04 evt_03 evt_02 evt_01 evt_00]" {
		t.Fatalf("paged: %v", all)
	}

	byEvent, err := s.DeliveriesOfEvents(ctx, "ten_a", []string{"evt_00", "evt_04", "evt_06"})
	if err != nil {
		t.Fatal(err)
	}
	if len(byEvent) != 2 || byEvent["evt_04"][0].Status != store.DeliveryFailed || byEvent["evt_06"] != nil {
		t.Fatalf("deliveries of events = %+v", byEvent)
	}
}
