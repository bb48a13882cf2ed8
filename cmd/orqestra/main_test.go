package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cli runs the binary's run function as a user would run the command.
type cli struct {
	t   *testing.T
	env map[string]string
}

func (c cli) run(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return c.env[k] }
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func (c cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("orqestra %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeAndScriptedSetup runs the engine as "orqestra serve" and sets it
// up with the CLI against the same database while it runs.
func TestServeAndScriptedSetup(t *testing.T) {
	addr := freeAddr(t)
	c := cli{t: t, env: map[string]string{
		"ORQESTRA_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "o.db"),
		"ORQESTRA_ADDR":         addr,
	}}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve"}, func(k string) string { return c.env[k] }, nil, io.Discard, io.Discard)
	}()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not healthy: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	var tenant struct{ ID, Name, APIKey string }
	if err := json.Unmarshal([]byte(c.must("tenant", "create", "--name", "Acme", "--rate-limit", "50", "--json")), &tenant); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tenant.APIKey, "orq_") || tenant.ID == "" || tenant.Name != "Acme" {
		t.Fatalf("tenant create --json: %+v", tenant)
	}
	if out := c.must("tenant", "list"); !strings.Contains(out, tenant.ID) || !strings.Contains(out, "50/min") || strings.Contains(out, tenant.APIKey) {
		t.Fatalf("tenant list: %s", out)
	}
	out := c.must("template", "set", "--tenant", tenant.ID, "--event-type", "order.confirmed", "--channel", "PUSH",
		"--category", "orders", "--title", "Order {{orderNumber}}", "--body", "Thanks, {{name}}!", "--activate")
	if !strings.Contains(out, "version 1, active") {
		t.Fatalf("template set: %s", out)
	}

	post := func(key, body string) *http.Response {
		req, _ := http.NewRequest("POST", base+"/api/v1/events/trigger", strings.NewReader(body))
		req.Header.Set("x-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	body := `{"eventType":"order.confirmed","payload":{"userId":"u1"},"variables":{"orderNumber":"A-1","name":"Ada"}}`
	// The template was set by another process: it applies within the cache TTL (1 s).
	var resp *http.Response
	for i := 0; i < 40; i++ {
		if resp = post(tenant.APIKey, body); resp.StatusCode == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("trigger after template set: %d", resp.StatusCode)
	}

	// Extra key: create, use, revoke.
	var k struct{ ID, APIKey string }
	if err := json.Unmarshal([]byte(c.must("apikey", "create", "--tenant", tenant.ID, "--name", "billing", "--json")), &k); err != nil {
		t.Fatal(err)
	}
	if r := post(k.APIKey, body); r.StatusCode != 200 {
		t.Fatalf("second key: %d", r.StatusCode)
	}
	if out := c.must("apikey", "list", "--tenant", tenant.ID); !strings.Contains(out, k.ID) || strings.Contains(out, k.APIKey) {
		t.Fatalf("apikey list: %s", out)
	}
	c.must("apikey", "revoke", "--tenant", tenant.ID, "--key", k.ID)
	waitStatus(t, func() int { return post(k.APIKey, body).StatusCode }, 401)

	c.must("tenant", "disable", "--tenant", tenant.ID)
	waitStatus(t, func() int { return post(tenant.APIKey, body).StatusCode }, 401)
	c.must("tenant", "enable", tenant.ID)
	waitStatus(t, func() int { return post(tenant.APIKey, body).StatusCode }, 200)

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve returned %v on shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// waitStatus polls until f returns want: changes by another process apply
// within the engine's cache TTL.
func waitStatus(t *testing.T, f func() int, want int) {
	t.Helper()
	var got int
	for i := 0; i < 40; i++ {
		if got = f(); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("status %d, want %d", got, want)
}

func TestCLIErrors(t *testing.T) {
	c := cli{t: t, env: map[string]string{"ORQESTRA_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "o.db")}}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, "unknown command"},
		{[]string{"tenant", "create"}, "--name is required"},
		{[]string{"tenant", "disable", "--tenant", "ten_missing"}, "not found"},
		{[]string{"template", "set", "--tenant", "x", "--channel", "FAX"}, "--channel must be PUSH, EMAIL or SMS"},
	}
	for _, tc := range cases {
		out, errOut, err := c.run(tc.args...)
		if err == nil {
			t.Errorf("%v succeeded: %s", tc.args, out)
			continue
		}
		if !strings.Contains(errOut+err.Error(), tc.want) {
			t.Errorf("%v: %v / %s, want %q", tc.args, err, errOut, tc.want)
		}
	}
	bad := cli{t: t, env: map[string]string{"ORQESTRA_DATABASE_URL": "mysql://x"}}
	if _, _, err := bad.run("tenant", "list"); err == nil || !strings.Contains(err.Error(), "unsupported database URL") {
		t.Errorf("bad database URL: %v", err)
	}
}
