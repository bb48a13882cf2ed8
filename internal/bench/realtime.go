package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/centrifuge-go"
)

// tracker matches realtime publications to the triggers that caused them.
type tracker struct {
	prefix string // run id + "-": the nonce in each notification body

	mu       sync.Mutex
	events   map[int64]*tracked
	lats     []time.Duration
	received atomic.Int64
	// misrouted counts publications that name an unknown sequence or
	// arrived at another user's client.
	misrouted int64
}

type tracked struct {
	user     int
	at       time.Time
	state    int8 // 0 in flight, 1 accepted, -1 rejected, 2 interrupted (unknown)
	receipts int32
}

func newTracker(runID string, users int) *tracker {
	return &tracker{prefix: runID + "-", events: make(map[int64]*tracked, 1<<16)}
}

func (t *tracker) sent(seq int64, user int, at time.Time) {
	t.mu.Lock()
	t.events[seq] = &tracked{user: user, at: at}
	t.mu.Unlock()
}

func (t *tracker) accept(seq int64)   { t.setState(seq, 1) }
func (t *tracker) rejected(seq int64) { t.setState(seq, -1) }

func (t *tracker) setState(seq int64, s int8) {
	t.mu.Lock()
	if e := t.events[seq]; e != nil {
		e.state = s
	}
	t.mu.Unlock()
}

// receive handles one publication received by user's client.
// forget drops an interrupted trigger whose outcome is unknown.
func (t *tracker) forget(seq int64) {
	t.mu.Lock()
	if e := t.events[seq]; e != nil {
		e.state = 2
	}
	t.mu.Unlock()
}

func (t *tracker) receive(user int, data []byte, at time.Time) {
	var p struct {
		Body string `json:"body"`
	}
	seq := int64(-1)
	if json.Unmarshal(data, &p) == nil {
		if i := strings.Index(p.Body, t.prefix); i >= 0 {
			rest := p.Body[i+len(t.prefix):]
			end := 0
			for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
				end++
			}
			if n, err := strconv.ParseInt(rest[:end], 10, 64); err == nil {
				seq = n
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.events[seq]
	if e == nil || e.user != user {
		t.misrouted++
		return
	}
	e.receipts++
	if e.receipts == 1 {
		t.lats = append(t.lats, at.Sub(e.at))
		t.received.Add(1)
	}
}

func (t *tracker) receivedCount() int64 { return t.received.Load() }

func (t *tracker) report(clients int) RealtimeReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := RealtimeReport{Clients: clients, Misrouted: t.misrouted}
	for _, e := range t.events {
		switch {
		case e.state == 1:
			r.Expected++
			switch {
			case e.receipts == 0:
				r.Missing++
			case e.receipts > 1:
				r.Duplicates += int64(e.receipts - 1)
			}
			if e.receipts > 0 {
				r.Received++
			}
		case e.state == -1 && e.receipts > 0:
			// Published though the trigger was refused.
			r.Misrouted += int64(e.receipts)
		}
	}
	r.Latency = summarize(t.lats)
	return r
}

// clientSet is the connected WebSocket clients.
type clientSet []*centrifuge.Client

func (cs clientSet) close() {
	for _, c := range cs {
		if c != nil {
			c.Close()
		}
	}
}

// connect gets a token for each user, connects a client per user and
// subscribes it to the user's channel, and waits until all are subscribed.
func (r *runner) connect(ctx context.Context) (clientSet, error) {
	wsURL := strings.Replace(r.base.String(), "http", "ws", 1) + "/connection/websocket"
	clients := make(clientSet, len(r.users))
	var subscribed sync.WaitGroup
	var firstErr atomic.Pointer[error]
	fail := func(err error) { firstErr.CompareAndSwap(nil, &err) }
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range r.users {
		sem <- struct{}{}
		wg.Add(1)
		subscribed.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			token, channel, err := r.realtimeToken(ctx, r.users[i])
			if err != nil {
				fail(err)
				subscribed.Done()
				return
			}
			c := centrifuge.NewJsonClient(wsURL, centrifuge.Config{Token: token, ReadTimeout: 30 * time.Second, WriteTimeout: 10 * time.Second, HandshakeTimeout: 10 * time.Second})
			clients[i] = c
			sub, err := c.NewSubscription(channel, centrifuge.SubscriptionConfig{})
			if err != nil {
				fail(err)
				subscribed.Done()
				return
			}
			var once sync.Once
			sub.OnSubscribed(func(centrifuge.SubscribedEvent) { once.Do(subscribed.Done) })
			sub.OnError(func(e centrifuge.SubscriptionErrorEvent) {
				fail(fmt.Errorf("bench: subscribe %s: %w", channel, e.Error))
			})
			user := i
			sub.OnPublication(func(e centrifuge.PublicationEvent) { r.track.receive(user, e.Data, time.Now()) })
			if err := sub.Subscribe(); err != nil {
				fail(err)
				once.Do(subscribed.Done)
				return
			}
			if err := c.Connect(); err != nil {
				fail(err)
				once.Do(subscribed.Done)
			}
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { subscribed.Wait(); close(done) }()
	timeout := 30*time.Second + time.Duration(len(r.users))*2*time.Millisecond
	select {
	case <-done:
	case <-time.After(timeout):
		return clients, fmt.Errorf("bench: clients not all subscribed after %s", timeout)
	case <-ctx.Done():
		return clients, ctx.Err()
	}
	if p := firstErr.Load(); p != nil {
		return clients, *p
	}
	return clients, nil
}

func (r *runner) realtimeToken(ctx context.Context, user string) (token, channel string, err error) {
	body, _ := json.Marshal(map[string]string{"userId": user})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint("/api/v1/auth/realtime-token"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", r.cfg.APIKey)
	resp, err := r.http.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("bench: realtime token: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("bench: realtime token: %d %s", resp.StatusCode, b)
	}
	var v struct {
		Token    string   `json:"token"`
		Channels []string `json:"channels"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Token == "" || len(v.Channels) != 1 {
		return "", "", errors.New("bench: realtime token: unexpected answer")
	}
	return v.Token, v.Channels[0], nil
}
