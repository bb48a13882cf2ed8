package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orqestra/orqestra/internal/dbtest"
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

func TestRedisBurstThenSteadyAcrossClients(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(dbtest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	// Two clients stand for two nodes: they must share one bucket.
	a, b := redis.NewClient(opts), redis.NewClient(opts)
	defer a.Close()
	defer b.Close()
	prefix := fmt.Sprintf("orqestra-test:%d:", time.Now().UnixNano())
	la, lb := NewRedis(a, prefix), NewRedis(b, prefix)
	ctx := context.Background()
	for i := range 5 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		if ok, _, err := l.Allow(ctx, "t", 5); !ok || err != nil {
			t.Fatalf("request %d refused inside the burst: %v", i+1, err)
		}
	}
	ok, wait, err := lb.Allow(ctx, "t", 5)
	if ok || err != nil || wait <= 0 || wait > 12*time.Second {
		t.Fatalf("6th request: ok=%v wait=%v err=%v, want refused with wait in (0, 12s]", ok, wait, err)
	}
	if ok, _, _ := la.Allow(ctx, "other", 5); !ok {
		t.Fatal("another key must have its own bucket")
	}
	if ttl := a.PTTL(ctx, prefix+"t").Val(); ttl <= 0 || ttl > time.Minute+time.Second {
		t.Fatalf("bucket TTL = %v, want about a minute", ttl)
	}
	if ok, _, _ := la.Allow(ctx, "u", 0); !ok {
		t.Fatal("0 means unlimited")
	}
}

func TestRedisDownIsAnError(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	start := time.Now()
	if _, _, err := NewRedis(c, "x:").Allow(context.Background(), "t", 5); err == nil {
		t.Fatal("want an error when Redis is unreachable (the API then fails open)")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Allow took %v with Redis down", time.Since(start))
	}
}
