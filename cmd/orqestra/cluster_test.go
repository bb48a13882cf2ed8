package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	centrifuge "github.com/centrifugal/centrifuge-go"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" database/sql driver, for assertions

	"github.com/orqestra/orqestra/internal/dbtest"
)

// cluster is several real `orqestra serve` processes, built from this
// package, sharing one PostgreSQL database and one Redis.
type cluster struct {
	t     *testing.T
	bin   string
	env   []string
	dir   string
	nodes []*node
	db    *sql.DB
}

type node struct {
	addr string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func (n *node) url() string { return "http://" + n.addr }

// build builds the binary into dir (the Go build cache makes repeats quick).
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "orqestra")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startCluster(t *testing.T, n int, extraEnv ...string) *cluster {
	t.Helper()
	dbURL := dbtest.Database(t)
	redisURL := dbtest.RedisURL(t)
	dir := t.TempDir()
	c := &cluster{t: t, bin: build(t, dir), dir: dir}
	var err error
	c.env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"ORQESTRA_DATABASE_URL=" + dbURL,
		"ORQESTRA_REDIS_URL=" + redisURL,
		"ORQESTRA_CACHE_TTL=0s",
		"ORQESTRA_SHUTDOWN_TIMEOUT=10s",
		"ORQESTRA_LOG_LEVEL=warn",
	}, extraEnv...)
	c.db, err = sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.db.Close() })
	// Create the schema once, so nodes starting together all find it (they
	// also cope with migrating concurrently; the store tests cover that).
	c.cli("migrate")
	for i := range n {
		c.nodes = append(c.nodes, &node{log: filepath.Join(c.dir, fmt.Sprintf("node%d.log", i+1))})
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
		if t.Failed() {
			for i, nd := range c.nodes {
				b, _ := os.ReadFile(nd.log)
				t.Logf("node %d log:\n%s", i+1, tail(b, 4000))
			}
		}
	})
	return c
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// cli runs an orqestra subcommand against the cluster's database.
func (c *cluster) cli(args ...string) []byte {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("orqestra %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// start starts node i (on its previous address when restarting).
func (c *cluster) start(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	if nd.addr == "" {
		nd.addr = freeAddr(c.t)
	}
	logf, err := os.OpenFile(nd.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	nd.cmd = exec.Command(c.bin, "serve")
	nd.cmd.Env = append(append([]string{}, c.env...), "ORQESTRA_ADDR="+nd.addr)
	nd.cmd.Stdout, nd.cmd.Stderr = logf, logf
	if err := nd.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	nd.done = make(chan struct{})
	go func() { nd.cmd.Wait(); logf.Close(); close(nd.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(nd.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-nd.done:
			b, _ := os.ReadFile(nd.log)
			c.t.Fatalf("node %d exited at start:\n%s", i+1, tail(b, 4000))
		case <-time.After(20 * time.Millisecond):
		}
	}
	c.t.Fatalf("node %d not healthy after 20s", i+1)
}

// stop stops node i gracefully (SIGTERM), killing it if it hangs.
func (c *cluster) stop(i int) {
	nd := c.nodes[i]
	if nd.cmd == nil {
		return
	}
	select {
	case <-nd.done:
	default:
		nd.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-nd.done:
		case <-time.After(15 * time.Second):
			nd.cmd.Process.Kill()
			<-nd.done
		}
	}
	nd.cmd = nil
}

// kill kills node i with SIGKILL: no shutdown, no draining.
func (c *cluster) kill(i int) {
	nd := c.nodes[i]
	nd.cmd.Process.Kill()
	<-nd.done
	nd.cmd = nil
}

type tenantInfo struct {
	ID     string `json:"id"`
	APIKey string `json:"apiKey"`
}

func (c *cluster) tenant(rateLimit int) tenantInfo {
	c.t.Helper()
	var ti tenantInfo
	out := c.cli("tenant", "create", "--name", "Acme", "--rate-limit", fmt.Sprint(rateLimit), "--json")
	if err := json.Unmarshal(out, &ti); err != nil {
		c.t.Fatalf("tenant create output %q: %v", out, err)
	}
	return ti
}

var httpClient = &http.Client{Timeout: 15 * time.Second}

type reply struct {
	status     int
	EventID    string `json:"eventId"`
	RetryAfter int    `json:"retryAfter"`
	Token      string `json:"token"`
}

func post(baseURL, path, apiKey, idemKey string, body any) (reply, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, baseURL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	if idemKey != "" {
		req.Header.Set("X-Idempotency-Key", idemKey)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("status %d, body %q: %w", resp.StatusCode, raw, err)
	}
	return r, nil
}

func trigger(userID, email string) map[string]any {
	payload := map[string]any{"userId": userID}
	if email != "" {
		payload["recipientEmail"] = email
	}
	return map[string]any{"eventType": "global.info", "payload": payload, "variables": map[string]any{"title": "Hello", "message": "from node"}}
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestCluster: three nodes, one PostgreSQL, one Redis. A trigger on node 1
// reaches a WebSocket client on node 3; a 5/min limit holds across nodes;
// one idempotency key sent to every node at once dispatches once.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three engine processes")
	}
	c := startCluster(t, 3)
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]

	t.Run("realtime across nodes", func(t *testing.T) {
		ten := c.tenant(0)
		tok, err := post(n1.url(), "/api/v1/auth/realtime-token", ten.APIKey, "", map[string]string{"userId": "alice"})
		if err != nil || tok.status != 200 || tok.Token == "" {
			t.Fatalf("token: %+v %v", tok, err)
		}
		client := centrifuge.NewJsonClient("ws://"+n3.addr+"/connection/websocket", centrifuge.Config{Token: tok.Token})
		defer client.Close()
		sub, err := client.NewSubscription("notifications:" + ten.ID + "#alice")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		subscribed := make(chan struct{}, 1)
		sub.OnPublication(func(e centrifuge.PublicationEvent) { got <- e.Data })
		sub.OnSubscribed(func(centrifuge.SubscribedEvent) { subscribed <- struct{}{} })
		if err := client.Connect(); err != nil {
			t.Fatal(err)
		}
		if err := sub.Subscribe(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-subscribed:
		case <-time.After(10 * time.Second):
			t.Fatal("not subscribed on node 3")
		}
		sent := time.Now()
		r, err := post(n1.url(), "/api/v1/events/trigger", ten.APIKey, "", trigger("alice", ""))
		if err != nil || r.status != 200 {
			t.Fatalf("trigger on node 1: %+v %v", r, err)
		}
		select {
		case data := <-got:
			var pub struct{ ID, Title, Body string }
			if err := json.Unmarshal(data, &pub); err != nil || pub.Title != "Hello" || pub.ID == "" {
				t.Fatalf("publication %s: %v", data, err)
			}
			t.Logf("trigger on node 1 -> client on node 3 in %v", time.Since(sent).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			t.Fatal("the client on node 3 did not receive the event triggered on node 1")
		}
	})

	t.Run("rate limit across nodes", func(t *testing.T) {
		ten := c.tenant(5)
		var ok, limited int
		for i := range 9 {
			n := c.nodes[i%3]
			r, err := post(n.url(), "/api/v1/events/trigger", ten.APIKey, "", trigger("bob", ""))
			if err != nil {
				t.Fatal(err)
			}
			switch r.status {
			case 200:
				ok++
			case 429:
				limited++
				if r.RetryAfter < 1 || r.RetryAfter > 12 {
					t.Errorf("retryAfter = %d, want 1..12 s", r.RetryAfter)
				}
			default:
				t.Fatalf("status %d", r.status)
			}
		}
		if ok != 5 || limited != 4 {
			t.Fatalf("9 triggers spread over 3 nodes under 5/min: %d accepted, %d limited; want 5 and 4", ok, limited)
		}
	})

	t.Run("idempotency across nodes", func(t *testing.T) {
		ten := c.tenant(0)
		const keys = 20
		for k := range keys {
			key := fmt.Sprintf("order-%d", k)
			body := trigger("carol", "carol@example.com")
			var wg sync.WaitGroup
			replies := make([]reply, 3)
			errs := make([]error, 3)
			start := make(chan struct{})
			for i, n := range []*node{n1, n2, n3} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					replies[i], errs[i] = post(n.url(), "/api/v1/events/trigger", ten.APIKey, key, body)
				}()
			}
			close(start)
			wg.Wait()
			for i := range replies {
				if errs[i] != nil || replies[i].status != 200 || replies[i].EventID != replies[0].EventID {
					t.Fatalf("key %s node %d: %+v %v (first: %+v)", key, i+1, replies[i], errs[i], replies[0])
				}
			}
		}
		if n := count(t, c.db, `SELECT COUNT(*) FROM events WHERE tenant_id = $1`, ten.ID); n != keys {
			t.Fatalf("events stored = %d, want %d (one per key)", n, keys)
		}
		if n := count(t, c.db, `SELECT COUNT(*) FROM notifications WHERE tenant_id = $1`, ten.ID); n != keys {
			t.Fatalf("notifications = %d, want %d", n, keys)
		}
		if n := count(t, c.db, `SELECT COUNT(*) FROM deliveries WHERE tenant_id = $1`, ten.ID); n != keys {
			t.Fatalf("deliveries = %d, want %d", n, keys)
		}
	})
	_ = n2
}

// TestClusterSurvivesKilledNode: under a steady trigger load spread over
// three nodes, one node is killed with SIGKILL and another is restarted.
// Every event that got a 200 keeps exactly one in-app notification and has
// its email delivered exactly once; nothing acknowledged is lost.
func TestClusterSurvivesKilledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three engine processes and waits for crash recovery")
	}
	// The shortest rescue delay (2 minutes, the job timeout) and a short
	// retry window, so deliveries caught running on the killed node are
	// retried within the test, not after the 5-minute default.
	c := startCluster(t, 3, "ORQESTRA_DELIVERY_RESCUE_AFTER=2m", "ORQESTRA_DELIVERY_RETRY_WINDOW=10s")
	ten := c.tenant(0)

	var (
		mu      sync.Mutex
		acked   []string
		failed  atomic.Int64
		stopped atomic.Bool
		wg      sync.WaitGroup
	)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopped.Load(); i++ {
				n := c.nodes[(w+i)%3]
				r, err := post(n.url(), "/api/v1/events/trigger", ten.APIKey, "", trigger(fmt.Sprintf("user%d", w), fmt.Sprintf("u%d@example.com", w)))
				if err != nil || r.status != 200 {
					failed.Add(1)
					time.Sleep(5 * time.Millisecond)
					continue
				}
				mu.Lock()
				acked = append(acked, r.EventID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second)
	c.kill(1)
	t.Log("node 2 killed (SIGKILL)")
	time.Sleep(1500 * time.Millisecond)
	c.stop(2)
	t.Log("node 3 stopped (SIGTERM)")
	c.start(2)
	t.Log("node 3 restarted")
	time.Sleep(2 * time.Second)
	stopped.Store(true)
	wg.Wait()
	t.Logf("%d triggers acknowledged, %d failed (connection refused or reset by the killed node)", len(acked), failed.Load())
	if len(acked) < 100 {
		t.Fatalf("only %d triggers acknowledged: the load did not run", len(acked))
	}

	// Every acknowledged event is stored with one notification and one delivery.
	if _, err := c.db.Exec(`CREATE TEMP TABLE acked (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	c.db.SetMaxOpenConns(1) // the temp table lives on one connection
	for _, id := range acked {
		if _, err := c.db.Exec(`INSERT INTO acked (id) VALUES ($1)`, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, c.db, `SELECT COUNT(*) FROM acked a JOIN events e ON e.tenant_id = $1 AND e.id = a.id`, ten.ID); n != len(acked) {
		t.Fatalf("%d of %d acknowledged events are stored", n, len(acked))
	}
	if n := count(t, c.db, `SELECT COUNT(*) FROM acked a WHERE (SELECT COUNT(*) FROM notifications n WHERE n.tenant_id = $1 AND n.event_id = a.id) <> 1`, ten.ID); n != 0 {
		t.Fatalf("%d acknowledged events do not have exactly one in-app notification", n)
	}
	if n := count(t, c.db, `SELECT COUNT(*) FROM acked a WHERE (SELECT COUNT(*) FROM deliveries d WHERE d.tenant_id = $1 AND d.event_id = a.id) <> 1`, ten.ID); n != 0 {
		t.Fatalf("%d acknowledged events do not have exactly one email delivery", n)
	}
	// Deliveries caught running on the killed node are rescued and finish.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		pending := count(t, c.db, `SELECT COUNT(*) FROM acked a JOIN deliveries d ON d.tenant_id = $1 AND d.event_id = a.id WHERE d.status <> 'sent'`, ten.ID)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			var states []string
			rows, _ := c.db.Query(`SELECT state || ':' || COUNT(*) FROM river_job GROUP BY state`)
			for rows.Next() {
				var s string
				rows.Scan(&s)
				states = append(states, s)
			}
			rows.Close()
			t.Fatalf("%d deliveries still not sent; river jobs by state: %v", pending, states)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if n := count(t, c.db, `SELECT COUNT(*) FROM acked a JOIN deliveries d ON d.tenant_id = $1 AND d.event_id = a.id
		WHERE (SELECT COUNT(*) FROM outbox_messages o WHERE o.delivery_id = d.id) <> 1`, ten.ID); n != 0 {
		t.Fatalf("%d deliveries were not delivered exactly once", n)
	}
	rescued := count(t, c.db, `SELECT COUNT(*) FROM river_job WHERE attempt > 1`)
	t.Logf("all %d acknowledged events stored and delivered; %d jobs needed more than one attempt", len(acked), rescued)
}

// TestClusterThroughput measures accepted triggers per second for 1 and 3
// nodes on one PostgreSQL and one Redis, all on this machine over loopback.
// It runs only with ORQESTRA_SCALE_BENCH=1 (the figures in
// docs/PERFORMANCE.md, "Scale-out"); ORQESTRA_SCALE_BENCH_SECONDS and
// ORQESTRA_SCALE_BENCH_CLIENTS tune it.
func TestClusterThroughput(t *testing.T) {
	if os.Getenv("ORQESTRA_SCALE_BENCH") == "" {
		t.Skip("benchmark: set ORQESTRA_SCALE_BENCH=1 to run")
	}
	seconds, clients := 10, 48
	fmt.Sscan(os.Getenv("ORQESTRA_SCALE_BENCH_SECONDS"), &seconds)
	fmt.Sscan(os.Getenv("ORQESTRA_SCALE_BENCH_CLIENTS"), &clients)
	for _, nodes := range []int{1, 3} {
		for _, mix := range []string{"PUSH", "PUSH+EMAIL"} {
			t.Run(fmt.Sprintf("%d nodes %s", nodes, mix), func(t *testing.T) {
				// Production caching (API keys and templates for 1 s).
				c := startCluster(t, nodes, "ORQESTRA_CACHE_TTL=1s")
				ten := c.tenant(0)
				tr := &http.Transport{MaxIdleConnsPerHost: clients}
				defer tr.CloseIdleConnections()
				hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				body := `{"eventType":"global.info","channels":["PUSH"],"payload":{"userId":"u"},"variables":{"title":"t","message":"m"}}`
				if mix != "PUSH" {
					body = `{"eventType":"global.info","channels":["PUSH","EMAIL"],"payload":{"userId":"u","recipientEmail":"u@example.com"},"variables":{"title":"t","message":"m"}}`
				}
				var ok, bad atomic.Int64
				var lat sync.Mutex
				var latencies []time.Duration
				deadline := time.Now().Add(time.Duration(seconds) * time.Second)
				var wg sync.WaitGroup
				for w := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var mine []time.Duration
						for i := 0; time.Now().Before(deadline); i++ {
							n := c.nodes[(w+i)%nodes]
							req, _ := http.NewRequest(http.MethodPost, n.url()+"/api/v1/events/trigger", strings.NewReader(body))
							req.Header.Set("x-api-key", ten.APIKey)
							req.Header.Set("Content-Type", "application/json")
							start := time.Now()
							resp, err := hc.Do(req)
							if err != nil {
								bad.Add(1)
								continue
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode == 200 {
								ok.Add(1)
								mine = append(mine, time.Since(start))
							} else {
								bad.Add(1)
							}
						}
						lat.Lock()
						latencies = append(latencies, mine...)
						lat.Unlock()
					}()
				}
				wg.Wait()
				slices.Sort(latencies)
				p := func(q float64) time.Duration {
					if len(latencies) == 0 {
						return 0
					}
					return latencies[int(float64(len(latencies)-1)*q)].Round(100 * time.Microsecond)
				}
				t.Logf("%d node(s), %s, %d clients, %ds: %.0f events/s accepted (%d errors); latency p50 %v p99 %v",
					nodes, mix, clients, seconds, float64(ok.Load())/float64(seconds), bad.Load(), p(0.5), p(0.99))
				if mix != "PUSH" {
					// Deliveries drain after the load; report how long that took.
					start := time.Now()
					for count(t, c.db, `SELECT COUNT(*) FROM deliveries WHERE status <> 'sent'`) > 0 && time.Since(start) < 2*time.Minute {
						time.Sleep(200 * time.Millisecond)
					}
					t.Logf("deliveries drained %v after the load stopped", time.Since(start).Round(100*time.Millisecond))
				}
			})
		}
	}
}
