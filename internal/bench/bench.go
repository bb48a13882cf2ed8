// Package bench is Orqestra's load generator: it triggers events against a
// running engine for a bounded time or count, optionally with connected
// WebSocket clients, and reports throughput, errors and latencies. The
// `orqestra bench` command is a thin wrapper around Run.
//
// Realtime receipts are matched to triggers by content, not by a protocol
// field: every trigger carries a unique nonce (run id and sequence number) in
// variables.message, which the built-in global.* templates render as the
// notification body. That keeps the API contract untouched and also checks
// that each accepted event reached exactly its user's client, exactly once.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits keep a mistyped flag from turning the tool into a flood.
const (
	MaxDuration    = time.Hour
	MaxConcurrency = 4096
	MaxClients     = 100_000
)

// Config is one bench run.
type Config struct {
	// URL is the engine's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// APIKey is the tenant's API key. Create the tenant with --rate-limit 0,
	// or most triggers are answered 429.
	APIKey string
	// TenantID is the tenant's id; needed for the history measurement.
	TenantID string
	// Duration bounds the load phase (default 10 s).
	Duration time.Duration
	// MaxRequests, when > 0, also bounds the number of triggers.
	MaxRequests int64
	// Concurrency is the number of requests in flight (default 32).
	Concurrency int
	// Rate, when > 0, sends at this fixed rate (open loop: latency counts from
	// the intended send time, so a stalled server shows as latency, not as a
	// lower rate). 0 sends as fast as Concurrency allows (closed loop).
	Rate float64
	// Channels each trigger asks for (default PUSH).
	Channels []string
	// Clients is the number of WebSocket clients, each a different user,
	// connected and subscribed before the load starts. Triggers go to these
	// users round-robin.
	Clients int
	// EventType must be a global.* type, or a tenant type whose PUSH body
	// contains {{message}} (default global.bench).
	EventType string
	// HistoryRequests is the number of history pages (limit 50) fetched after
	// the load, one at a time, to measure history latency (needs TenantID).
	HistoryRequests int
	// PID is the engine's process id for RSS; 0 finds the local process
	// listening on the URL's port, else RSS comes from /metrics.
	PID int
	// AllowRemote permits a non-loopback URL; without it Run refuses one.
	AllowRemote bool
	// Drain is how long to wait after the load for realtime receipts and
	// deliveries to arrive (default 10 s).
	Drain time.Duration
	// Progress, when set, gets a progress line each second.
	Progress io.Writer
}

// Report is what a run measured.
type Report struct {
	Date        string   `json:"date"`
	URL         string   `json:"url"`
	Mode        string   `json:"mode"` // "closed-loop" or "open-loop"
	TargetRate  float64  `json:"targetRate,omitempty"`
	Concurrency int      `json:"concurrency"`
	Channels    []string `json:"channels"`
	Seconds     float64  `json:"seconds"`

	Sent           int64            `json:"sent"`
	Accepted       int64            `json:"accepted"`
	AcceptedPerSec float64          `json:"acceptedPerSec"`
	Errors         map[string]int64 `json:"errors"` // by HTTP status, or "transport"
	// Skipped counts open-loop sends that could not start on time because
	// every worker was busy (raise Concurrency).
	Skipped        int64   `json:"skipped,omitempty"`
	TriggerLatency Latency `json:"triggerLatency"`

	Realtime   *RealtimeReport `json:"realtime,omitempty"`
	Deliveries *DeliveryReport `json:"deliveries,omitempty"`
	History    *Latency        `json:"history,omitempty"`
	Server     *ServerReport   `json:"server,omitempty"`
}

// RealtimeReport checks that every accepted PUSH event reached its user's
// client exactly once, and how fast.
type RealtimeReport struct {
	Clients int `json:"clients"`
	// Expected is the number of accepted events addressed to connected clients.
	Expected   int64 `json:"expected"`
	Received   int64 `json:"received"` // distinct events received
	Missing    int64 `json:"missing"`
	Duplicates int64 `json:"duplicates"`
	// Misrouted counts publications received by another user's client, or
	// for an event that was not accepted.
	Misrouted int64   `json:"misrouted"`
	Latency   Latency `json:"latency"` // trigger sent → publication received
}

// DeliveryReport is EMAIL and SMS throughput through the delivery queue.
type DeliveryReport struct {
	Expected  int64   `json:"expected"`
	Completed int64   `json:"completed"`
	PerSec    float64 `json:"perSec"` // completed / (first trigger → last completion)
	Source    string  `json:"source"`
}

// ServerReport is the engine's memory, when it could be read.
type ServerReport struct {
	PID             int   `json:"pid,omitempty"`
	RSSStartBytes   int64 `json:"rssStartBytes,omitempty"`
	RSSClientsBytes int64 `json:"rssWithClientsBytes,omitempty"`
	RSSEndBytes     int64 `json:"rssEndBytes,omitempty"`
	// PerClientKB is (RSS with clients − RSS before) / clients.
	PerClientKB float64 `json:"perClientKB,omitempty"`
	Source      string  `json:"source"`
	// CPUSeconds is the engine's CPU time during the load phase (local
	// process only), and CPUPerEventUs that divided by accepted triggers:
	// unlike events/s it does not depend on what else shares the machine.
	CPUSeconds    float64 `json:"cpuSeconds,omitempty"`
	CPUPerEventUs float64 `json:"cpuPerEventUs,omitempty"`
}

type runner struct {
	cfg   Config
	base  *url.URL
	http  *http.Client
	runID string
	users []string
	body  [3][]byte // body split around the user id and the sequence number

	sent, accepted, skipped atomic.Int64
	mu                      sync.Mutex
	errs                    map[string]int64
	lats                    []time.Duration
	lastEventID             string

	track *tracker
}

// Run runs the bench and reports. It returns an error only when the run
// could not be made (bad config, engine unreachable, clients cannot connect).
func Run(ctx context.Context, cfg Config) (Report, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return Report{}, err
	}
	return r.run(ctx)
}

func newRunner(cfg Config) (*runner, error) {
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 10 * time.Second
	}
	if cfg.EventType == "" {
		cfg.EventType = "global.bench"
	}
	if len(cfg.Channels) == 0 {
		cfg.Channels = []string{"PUSH"}
	}
	var problems []string
	if cfg.Duration > MaxDuration {
		problems = append(problems, fmt.Sprintf("duration must be at most %s", MaxDuration))
	}
	if cfg.Concurrency > MaxConcurrency {
		problems = append(problems, fmt.Sprintf("concurrency must be at most %d", MaxConcurrency))
	}
	if cfg.Clients < 0 || cfg.Clients > MaxClients {
		problems = append(problems, fmt.Sprintf("clients must be 0 to %d", MaxClients))
	}
	if cfg.Rate < 0 || cfg.MaxRequests < 0 || cfg.HistoryRequests < 0 {
		problems = append(problems, "rate, max requests and history requests must not be negative")
	}
	if cfg.APIKey == "" {
		problems = append(problems, "an API key is required")
	}
	if cfg.HistoryRequests > 0 && cfg.TenantID == "" {
		problems = append(problems, "history requests need the tenant id")
	}
	for i, c := range cfg.Channels {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c != "PUSH" && c != "EMAIL" && c != "SMS" {
			problems = append(problems, fmt.Sprintf("channel %q: want PUSH, EMAIL or SMS", cfg.Channels[i]))
		}
		cfg.Channels[i] = c
	}
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		problems = append(problems, fmt.Sprintf("url %q: want http(s)://host:port", cfg.URL))
	} else if !cfg.AllowRemote && !isLoopback(base.Hostname()) {
		problems = append(problems, fmt.Sprintf("url %q is not a loopback address; pass it explicitly to load a remote deployment", cfg.URL))
	}
	if len(problems) > 0 {
		return nil, errors.New("bench: " + strings.Join(problems, "; "))
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	r := &runner{
		cfg:   cfg,
		base:  base,
		runID: "b" + hex.EncodeToString(id[:]),
		errs:  map[string]int64{},
		http: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        cfg.Concurrency + 16,
				MaxIdleConnsPerHost: cfg.Concurrency + 16,
				IdleConnTimeout:     30 * time.Second,
				DisableCompression:  true,
			},
		},
	}
	n := cfg.Clients
	if n == 0 {
		n = 1000
	}
	r.users = make([]string, n)
	for i := range r.users {
		r.users[i] = fmt.Sprintf("%s-u%d", r.runID, i)
	}
	r.buildBody()
	return r, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// buildBody prepares the constant parts of the trigger body once, so the
// generator spends its CPU on requests, not on JSON encoding.
func (r *runner) buildBody() {
	var b strings.Builder
	b.WriteString(`{"eventType":` + strconv.Quote(r.cfg.EventType) + `,"channels":["` + strings.Join(r.cfg.Channels, `","`) + `"],"payload":{`)
	if slices.Contains(r.cfg.Channels, "EMAIL") {
		b.WriteString(`"recipientEmail":"bench@example.com",`)
	}
	if slices.Contains(r.cfg.Channels, "SMS") {
		b.WriteString(`"recipientPhone":"+15550100000",`)
	}
	b.WriteString(`"userId":"`)
	r.body[0] = []byte(b.String())
	r.body[1] = []byte(`"},"variables":{"title":"bench","message":"` + r.runID + `-`)
	r.body[2] = []byte(`"}}`)
}

func (r *runner) appendBody(dst []byte, user string, seq int64) []byte {
	dst = append(dst, r.body[0]...)
	dst = append(dst, user...)
	dst = append(dst, r.body[1]...)
	dst = strconv.AppendInt(dst, seq, 10)
	return append(dst, r.body[2]...)
}

func (r *runner) endpoint(path string) string { return r.base.String() + path }

func (r *runner) run(ctx context.Context) (Report, error) {
	rep := Report{
		Date: time.Now().UTC().Format(time.RFC3339), URL: r.base.String(), Mode: "closed-loop",
		Concurrency: r.cfg.Concurrency, Channels: r.cfg.Channels,
	}
	if r.cfg.Rate > 0 {
		rep.Mode, rep.TargetRate = "open-loop", r.cfg.Rate
	}
	if err := r.check(ctx); err != nil {
		return rep, err
	}
	srv := r.serverMemory(ctx)
	deliveryChannels := 0
	for _, c := range r.cfg.Channels {
		if c == "EMAIL" || c == "SMS" {
			deliveryChannels++
		}
	}
	sentBefore, metricsOK := int64(0), false
	if deliveryChannels > 0 {
		sentBefore, metricsOK = r.deliveredCount(ctx)
	}

	if r.cfg.Clients > 0 && slices.Contains(r.cfg.Channels, "PUSH") {
		r.track = newTracker(r.runID, len(r.users))
		clients, err := r.connect(ctx)
		defer clients.close()
		if err != nil {
			return rep, err
		}
		if srv != nil {
			srv.RSSClientsBytes = r.rss(ctx, srv)
			if srv.RSSClientsBytes > 0 && srv.RSSStartBytes > 0 {
				srv.PerClientKB = float64(srv.RSSClientsBytes-srv.RSSStartBytes) / 1024 / float64(r.cfg.Clients)
			}
		}
	}

	cpu0 := -1.0
	if srv != nil && srv.PID > 0 {
		if c, err := processCPU(srv.PID); err == nil {
			cpu0 = c
		}
	}
	start := time.Now()
	r.load(ctx, start)
	loadEnd := time.Since(start)
	if cpu0 >= 0 {
		if c, err := processCPU(srv.PID); err == nil {
			srv.CPUSeconds = c - cpu0
			if n := r.accepted.Load(); n > 0 {
				srv.CPUPerEventUs = srv.CPUSeconds * 1e6 / float64(n)
			}
		}
	}
	rep.Seconds = loadEnd.Seconds()
	rep.Sent, rep.Accepted, rep.Skipped = r.sent.Load(), r.accepted.Load(), r.skipped.Load()
	rep.AcceptedPerSec = float64(rep.Accepted) / rep.Seconds
	rep.Errors = r.errs
	rep.TriggerLatency = summarize(r.lats)

	drainUntil := time.Now().Add(r.cfg.Drain)
	if r.track != nil {
		for time.Now().Before(drainUntil) && r.track.receivedCount() < rep.Accepted && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
		rr := r.track.report(r.cfg.Clients)
		rep.Realtime = &rr
	}
	if deliveryChannels > 0 {
		rep.Deliveries = r.waitDeliveries(ctx, start, rep.Accepted*int64(deliveryChannels), sentBefore, metricsOK, drainUntil)
	}
	if r.cfg.HistoryRequests > 0 {
		h := r.history(ctx)
		rep.History = &h
	}
	if srv != nil {
		srv.RSSEndBytes = r.rss(ctx, srv)
		rep.Server = srv
	}
	return rep, nil
}

// check makes one authenticated request so a wrong URL or key fails fast.
func (r *runner) check(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint("/api/v1/events/bench-check-"+r.runID), nil)
	req.Header.Set("x-api-key", r.cfg.APIKey)
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("bench: engine not reachable: %w", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotFound:
		// Only an Orqestra engine answers an unknown event id with its
		// error shape; anything else (a proxy, another server) is not a
		// target to load.
		var e struct {
			StatusCode int    `json:"statusCode"`
			Error      string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.StatusCode != http.StatusNotFound || e.Error != "Not Found" {
			return fmt.Errorf("bench: %s does not answer like an Orqestra engine", r.base)
		}
		return nil
	case http.StatusUnauthorized:
		return errors.New("bench: the engine refused the API key (401)")
	default:
		return fmt.Errorf("bench: unexpected answer %d from the engine", resp.StatusCode)
	}
}

// load sends triggers until the duration or the request budget is spent.
// Requests started before the deadline are allowed to finish (only ctx
// cancels them), so every sent trigger has an answer.
func (r *runner) load(ctx context.Context, start time.Time) {
	stop, cancel := context.WithDeadline(ctx, start.Add(r.cfg.Duration))
	defer cancel()
	var next atomic.Int64
	var slots chan time.Time
	if r.cfg.Rate > 0 {
		slots = make(chan time.Time, r.cfg.Concurrency)
		go r.schedule(stop, start, slots)
	}
	progressCtx, stopProgress := context.WithCancel(ctx)
	progressDone := make(chan struct{})
	go r.progress(progressCtx, start, progressDone)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(ctx, stop, &next, slots)
		}()
	}
	wg.Wait()
	stopProgress()
	<-progressDone
}

// schedule emits the intended send times of an open-loop run. When every
// worker is busy a slot is skipped and counted rather than queued, so the
// report cannot claim a rate the server did not get.
func (r *runner) schedule(ctx context.Context, start time.Time, slots chan<- time.Time) {
	defer close(slots)
	interval := time.Duration(float64(time.Second) / r.cfg.Rate)
	at := start
	for i := int64(0); r.cfg.MaxRequests == 0 || i < r.cfg.MaxRequests; i++ {
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		select {
		case slots <- at:
		default:
			r.skipped.Add(1)
		}
		at = at.Add(interval)
	}
}

func (r *runner) worker(ctx, stop context.Context, next *atomic.Int64, slots <-chan time.Time) {
	var lats []time.Duration
	errs := map[string]int64{}
	var buf []byte
	last := ""
	for stop.Err() == nil {
		var begin time.Time
		if slots != nil {
			at, ok := <-slots
			if !ok {
				break
			}
			begin = at
		}
		seq := next.Add(1) - 1
		if r.cfg.MaxRequests > 0 && seq >= r.cfg.MaxRequests {
			break
		}
		user := int(seq % int64(len(r.users)))
		buf = r.appendBody(buf[:0], r.users[user], seq)
		if slots == nil {
			begin = time.Now()
		}
		if r.track != nil {
			r.track.sent(seq, user, begin)
		}
		r.sent.Add(1)
		status, eventID, err := r.trigger(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				// Interrupted: the outcome is unknown, so it counts as neither.
				r.sent.Add(-1)
				if r.track != nil {
					r.track.forget(seq)
				}
				break
			}
			errs["transport"]++
			continue
		}
		if status == http.StatusOK {
			lats = append(lats, time.Since(begin))
			r.accepted.Add(1)
			if r.track != nil {
				r.track.accept(seq)
			}
			last = eventID
			continue
		}
		errs[strconv.Itoa(status)]++
		if r.track != nil {
			r.track.rejected(seq)
		}
	}
	r.mu.Lock()
	r.lats = append(r.lats, lats...)
	for k, v := range errs {
		r.errs[k] += v
	}
	if last != "" {
		r.lastEventID = last
	}
	r.mu.Unlock()
}

var eventIDKey = []byte(`"eventId":"`)

func (r *runner) trigger(ctx context.Context, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint("/api/v1/events/trigger"), bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", r.cfg.APIKey)
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, "", err
	}
	id := ""
	if i := bytes.Index(b, eventIDKey); i >= 0 {
		rest := b[i+len(eventIDKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			id = string(rest[:j])
		}
	}
	return resp.StatusCode, id, nil
}

func (r *runner) progress(ctx context.Context, start time.Time, done chan<- struct{}) {
	defer close(done)
	if r.cfg.Progress == nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prev := int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		acc := r.accepted.Load()
		line := fmt.Sprintf("[%4.0fs] sent %d  accepted %d (%d/s)", time.Since(start).Seconds(), r.sent.Load(), acc, acc-prev)
		if s := r.skipped.Load(); s > 0 {
			line += fmt.Sprintf("  skipped %d", s)
		}
		if r.track != nil {
			line += fmt.Sprintf("  ws received %d", r.track.receivedCount())
		}
		fmt.Fprintln(r.cfg.Progress, line)
		prev = acc
	}
}

// waitDeliveries waits for the EMAIL/SMS deliveries of accepted events and
// measures how fast they completed. It counts with the engine's /metrics
// (sent deliveries), so the figure is the engine's own count; without
// /metrics it follows the last accepted event through the events API.
func (r *runner) waitDeliveries(ctx context.Context, start time.Time, expected, before int64, metricsOK bool, until time.Time) *DeliveryReport {
	rep := &DeliveryReport{Expected: expected}
	if expected == 0 {
		return rep
	}
	var doneAt time.Time
	if metricsOK {
		rep.Source = "metrics (orqestra_deliveries_total{status=\"sent\"})"
		for {
			n, _ := r.deliveredCount(ctx)
			rep.Completed = n - before
			if rep.Completed >= expected || time.Now().After(until) || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		doneAt = time.Now()
	} else {
		rep.Source = "events API (last accepted event)"
		for time.Now().Before(until) && ctx.Err() == nil && !r.eventDelivered(ctx, r.lastEventID) {
			time.Sleep(50 * time.Millisecond)
		}
		doneAt = time.Now()
		if r.eventDelivered(ctx, r.lastEventID) {
			rep.Completed = expected
		}
	}
	rep.PerSec = float64(rep.Completed) / doneAt.Sub(start).Seconds()
	return rep
}

// deliveredCount sums the engine's sent EMAIL and SMS deliveries.
func (r *runner) deliveredCount(ctx context.Context) (int64, bool) {
	m, ok := r.scrape(ctx)
	if !ok {
		return 0, false
	}
	return int64(m.sent), true
}

type scraped struct {
	sent float64
	rss  float64
}

func (r *runner) scrape(ctx context.Context) (scraped, bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint("/metrics"), nil)
	resp, err := r.http.Do(req)
	if err != nil {
		return scraped{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scraped{}, false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return scraped{}, false
	}
	var s scraped
	for line := range strings.Lines(string(b)) {
		switch {
		case strings.HasPrefix(line, "orqestra_deliveries_total{") && strings.Contains(line, `status="sent"`):
			s.sent += lastFloat(line)
		case strings.HasPrefix(line, "process_resident_memory_bytes "):
			s.rss = lastFloat(line)
		}
	}
	return s, true
}

func lastFloat(line string) float64 {
	f := strings.Fields(line)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[len(f)-1], 64)
	return v
}

func (r *runner) eventDelivered(ctx context.Context, id string) bool {
	if id == "" {
		return false
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint("/api/v1/events/"+url.PathEscape(id)), nil)
	req.Header.Set("x-api-key", r.cfg.APIKey)
	resp, err := r.http.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode == http.StatusOK && !bytes.Contains(b, []byte(`"status":"queued"`)) &&
		!bytes.Contains(b, []byte(`"status":"retrying"`)) && !bytes.Contains(b, []byte(`"status":"sending"`))
}

// serverMemory decides how the engine's RSS is read and reads the first value.
func (r *runner) serverMemory(ctx context.Context) *ServerReport {
	s := &ServerReport{PID: r.cfg.PID}
	if s.PID == 0 && isLoopback(r.base.Hostname()) {
		port, _ := strconv.Atoi(r.base.Port())
		if port == 0 {
			port = 80
		}
		s.PID = listenerPID(port)
	}
	s.RSSStartBytes = r.rss(ctx, s)
	if s.RSSStartBytes == 0 {
		return nil
	}
	return s
}

func (r *runner) rss(ctx context.Context, s *ServerReport) int64 {
	if s.PID > 0 {
		if n, err := processRSS(s.PID); err == nil {
			s.Source = "/proc"
			return n
		}
	}
	if m, ok := r.scrape(ctx); ok && m.rss > 0 {
		s.Source = "metrics (process_resident_memory_bytes)"
		return int64(m.rss)
	}
	return 0
}

// history fetches pages of 50, one at a time, and reports their latency.
func (r *runner) history(ctx context.Context) Latency {
	lats := make([]time.Duration, 0, r.cfg.HistoryRequests)
	for i := 0; i < r.cfg.HistoryRequests && ctx.Err() == nil; i++ {
		u := r.endpoint("/api/v1/notifications/" + url.PathEscape(r.cfg.TenantID) + "/" + url.PathEscape(r.users[i%len(r.users)]) + "?limit=50")
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("x-api-key", r.cfg.APIKey)
		begin := time.Now()
		resp, err := r.http.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			lats = append(lats, time.Since(begin))
		}
	}
	return summarize(lats)
}
