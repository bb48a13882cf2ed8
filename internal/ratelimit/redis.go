package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcra is the same algorithm as Memory, run atomically inside Redis so every
// node shares one bucket per key. Time comes from the Redis server (TIME),
// so nodes with skewed clocks still agree. The stored value is the
// theoretical arrival time in microseconds; it expires once the bucket is
// full again, so idle tenants cost nothing.
//
// KEYS[1] bucket; ARGV[1] interval µs; ARGV[2] burst µs. Returns {allowed, wait µs}.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - burst
if wait > 0 then return {0, wait} end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return {1, 0}
`)

// Redis limits across every node sharing one Redis: the limiter for a
// scaled-out deployment (ORQESTRA_REDIS_URL).
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

// NewRedis returns a limiter on client. Keys are stored under prefix
// (e.g. "orqestra:ratelimit:").
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix, timeout: 500 * time.Millisecond}
}

// Allow takes one request for key under a limit of perMinute, with the same
// answers as Memory.Allow. An error (Redis unreachable or slow) is returned
// as is; the caller decides to fail open.
func (r *Redis) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error) {
	if perMinute <= 0 {
		return true, 0, nil
	}
	interval := time.Minute / time.Duration(perMinute)
	burst := time.Minute - interval
	// A trigger must not hang on a sick Redis: bound the round trip.
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := gcra.Run(ctx, r.client, []string{r.prefix + key}, interval.Microseconds(), burst.Microseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("ratelimit: redis: unexpected reply %v", res)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}
