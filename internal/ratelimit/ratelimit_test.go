package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemoryBurstThenSteady(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(func() time.Time { return now })
	ctx := context.Background()
	for i := range 5 {
		if ok, _, _ := m.Allow(ctx, "t", 5); !ok {
			t.Fatalf("request %d refused inside the burst", i+1)
		}
	}
	ok, wait, _ := m.Allow(ctx, "t", 5)
	if ok || wait <= 0 || wait > 12*time.Second {
		t.Fatalf("6th request: ok=%v wait=%v, want refused with wait in (0, 12s]", ok, wait)
	}
	if ok, _, _ := m.Allow(ctx, "other", 5); !ok {
		t.Fatal("another key must have its own bucket")
	}
	now = now.Add(wait)
	if ok, _, _ := m.Allow(ctx, "t", 5); !ok {
		t.Fatal("refused after waiting the advised time")
	}
	if ok, _, _ := m.Allow(ctx, "u", 0); !ok {
		t.Fatal("0 means unlimited")
	}
}
