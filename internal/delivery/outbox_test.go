package delivery_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/store"
)

// TestOutboxBatchesAreCompleteAndIdempotent triggers many emails at once
// (the workers' outbox sends share transactions), expects each delivery
// sent exactly once with its outbox message, then sends them all again
// concurrently through a second Outbox and expects nothing to change.
func TestOutboxBatchesAreCompleteAndIdempotent(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tn := setup(t, e)
	const n = 60
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ids[i] = trigger(t, e, tn, fmt.Sprintf("u%d@example.com", i), map[string]any{"name": "A", "orderNumber": i})
		})
	}
	wg.Wait()
	sent := map[string]deliveryView{}
	for _, id := range ids {
		d := waitStatus(t, e, tn, id, "sent", 15*time.Second)
		if d.Provider != "outbox" || d.Attempts != 1 || d.ProviderMessageID != "obx_"+strings.TrimPrefix(d.ID, "dlv_") || d.SentAt == "" {
			t.Fatalf("delivery of %s: %+v", id, d)
		}
		sent[id] = d
	}
	ctx := context.Background()
	msgs, err := e.Store.OutboxMessages(ctx, tn.id, 2*n)
	if err != nil || len(msgs) != n {
		t.Fatalf("outbox: %d messages, %v", len(msgs), err)
	}

	again := &delivery.Outbox{Store: e.Store, Now: time.Now}
	for _, id := range ids {
		d := sent[id]
		wg.Go(func() {
			err := again.SendRecorded(ctx, delivery.Message{DeliveryID: d.ID, TenantID: tn.id, EventID: id, Channel: "EMAIL", To: "x@example.com", Subject: "again"},
				store.DeliveryUpdate{Status: store.DeliverySent, Attempts: 2, Provider: "outbox", At: time.Now()})
			if err != nil {
				t.Errorf("send again: %v", err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if d := event(t, e, tn, id); d != sent[id] {
			t.Fatalf("sending %s again changed its delivery: %+v, was %+v", id, d, sent[id])
		}
	}
	msgs, err = e.Store.OutboxMessages(ctx, tn.id, 2*n)
	if err != nil || len(msgs) != n {
		t.Fatalf("outbox after sending again: %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		if m.Subject == "again" {
			t.Fatalf("message replaced: %+v", m)
		}
	}
}
