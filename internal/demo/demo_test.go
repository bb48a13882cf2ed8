package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/demo"
	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/store"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	resp, err := http.Get(e.URL + "/demo")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<orqestra-bell") || !strings.Contains(string(page), `src="/sdk/orqestra.js"`) {
		t.Fatalf("demo page %d: %s", resp.StatusCode, page)
	}
	if strings.Contains(string(page), "orq_") {
		t.Fatal("the demo page contains an API key")
	}
	resp, err = http.Post(e.URL+"/demo/token", "application/json", strings.NewReader(`{"userId":"demo-user"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token    string
		Channels []string
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.Token == "" || len(tok.Channels) != 1 || !strings.HasSuffix(tok.Channels[0], "#"+demo.UserID) {
		t.Fatalf("demo token: %+v", tok)
	}
	resp, err = http.Post(e.URL+"/demo/send", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("demo send: %d", resp.StatusCode)
	}
	tenantID := strings.TrimSuffix(strings.TrimPrefix(tok.Channels[0], "notifications:"), "#"+demo.UserID)
	items, _, err := e.Store.History(context.Background(), tenantID, demo.UserID, store.HistoryQuery{Limit: 10})
	if err != nil || len(items) != 1 || items[0].EventType != "global.info" {
		t.Fatalf("demo user's history: %+v %v", items, err)
	}
}

func TestDemoCanBeSwitchedOff(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.Demo = false }))
	resp, err := http.Get(e.URL + "/demo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("demo off: %d", resp.StatusCode)
	}
}

func TestSDKBundleServed(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	resp, err := http.Get(e.URL + "/sdk/orqestra.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(string(body), "orqestra-bell") {
		t.Fatalf("bundle: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
	}
}
