// Package ratelimit enforces per-tenant trigger limits ("N per minute").
//
// The algorithm is GCRA (a token bucket without a timer): a tenant may burst
// up to its whole per-minute limit, then is held to the steady rate, and a
// refused request learns exactly how long to wait.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory limits within one process. It is the default for a single node.
type Memory struct {
	now func() time.Time

	mu  sync.Mutex
	tat map[string]time.Time // theoretical arrival time per key
}

// NewMemory returns an in-process limiter. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, tat: map[string]time.Time{}}
}

// Allow takes one request for key under a limit of perMinute. It returns
// whether it is allowed and, when not, how long until it would be.
func (m *Memory) Allow(_ context.Context, key string, perMinute int) (bool, time.Duration, error) {
	if perMinute <= 0 {
		return true, 0, nil
	}
	interval := time.Minute / time.Duration(perMinute)
	burst := time.Minute - interval // a full bucket admits perMinute at once
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	tat := m.tat[key]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - burst; wait > 0 {
		return false, wait, nil
	}
	m.tat[key] = tat.Add(interval)
	if len(m.tat) > 100_000 {
		m.sweep(now)
	}
	return true, 0, nil
}

// sweep drops keys whose bucket is full again; they carry no state.
func (m *Memory) sweep(now time.Time) {
	for k, t := range m.tat {
		if t.Before(now) {
			delete(m.tat, k)
		}
	}
}
