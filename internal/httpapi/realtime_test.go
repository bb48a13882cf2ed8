package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/enginetest"
)

func realtimeToken(t *testing.T, e *enginetest.Engine, key, userID string) (string, []string) {
	t.Helper()
	a := do(t, e, call{method: "POST", path: "/api/v1/auth/realtime-token", key: key, body: `{"userId":"` + userID + `"}`})
	if a.status != 200 {
		t.Fatalf("realtime-token: %d %s", a.status, a.raw)
	}
	var out struct {
		Token    string   `json:"token"`
		Channels []string `json:"channels"`
	}
	if err := json.Unmarshal(a.raw, &out); err != nil || out.Token == "" || len(out.Channels) != 1 {
		t.Fatalf("realtime-token body %s: %v", a.raw, err)
	}
	return out.Token, out.Channels
}

func connect(t *testing.T, e *enginetest.Engine, token string) *centrifuge.Client {
	t.Helper()
	c := centrifuge.NewJsonClient(e.WebsocketURL(), centrifuge.Config{Token: token})
	t.Cleanup(c.Close)
	connected := make(chan struct{}, 1)
	c.OnConnected(func(centrifuge.ConnectedEvent) { connected <- struct{}{} })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("not connected within 5s")
	}
	return c
}

func TestRealtimeDelivery(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{})
	token, channels := realtimeToken(t, e, key, "alice")
	if channels[0] != "notifications:"+tenant+"#alice" {
		t.Fatalf("channels = %v", channels)
	}
	c := connect(t, e, token)
	sub, err := c.NewSubscription(channels[0])
	if err != nil {
		t.Fatal(err)
	}
	pubs := make(chan []byte, 10)
	subscribed := make(chan struct{}, 1)
	sub.OnPublication(func(ev centrifuge.PublicationEvent) { pubs <- ev.Data })
	sub.OnSubscribed(func(centrifuge.SubscribedEvent) { subscribed <- struct{}{} })
	if err := sub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("not subscribed")
	}

	a := trigger(t, e, key, `{"eventType":"global.alert","channels":["PUSH"],"payload":{"userId":"alice"},"variables":{"title":"Disk full","message":"90% used"}}`)
	if a.status != 200 {
		t.Fatalf("trigger: %d %s", a.status, a.raw)
	}
	select {
	case data := <-pubs:
		var p map[string]any
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"title": "Disk full", "body": "90% used", "category": "alert", "eventType": "global.alert"} {
			if p[k] != want {
				t.Errorf("publication %s = %v, want %q", k, p[k], want)
			}
		}
		id, _ := p["id"].(string)
		h := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/alice", key: key})
		if h.json["data"].([]any)[0].(map[string]any)["id"] != id {
			t.Errorf("publication id %q is not the stored notification's", id)
		}
		if _, err := time.Parse(time.RFC3339Nano, p["createdAt"].(string)); err != nil {
			t.Errorf("createdAt: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no publication within 5s")
	}

	// Another user's event is not delivered to alice.
	trigger(t, e, key, `{"eventType":"global.info","payload":{"userId":"bob"},"variables":{"title":"x","message":"y"}}`)
	select {
	case data := <-pubs:
		t.Fatalf("alice received bob's notification: %s", data)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestRealtimeOnlyOwnChannel(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{})
	other, _ := e.CreateTenant(t, enginetest.Tenant{Name: "Other"})
	token, _ := realtimeToken(t, e, key, "alice")
	c := connect(t, e, token)
	for _, ch := range []string{
		"notifications:" + tenant + "#bob",
		"notifications:" + other + "#alice",
		"notifications:" + tenant,
		"news",
	} {
		sub, err := c.NewSubscription(ch)
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 1)
		sub.OnError(func(ev centrifuge.SubscriptionErrorEvent) { errs <- ev.Error })
		sub.OnUnsubscribed(func(ev centrifuge.UnsubscribedEvent) { errs <- errors.New(ev.Reason) })
		sub.OnSubscribed(func(centrifuge.SubscribedEvent) { errs <- nil })
		_ = sub.Subscribe()
		select {
		case err := <-errs:
			if err == nil {
				t.Errorf("subscribed to %s", ch)
			} else if !strings.Contains(err.Error(), "permission denied") {
				t.Logf("%s refused: %v", ch, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("no answer subscribing to %s", ch)
		}
	}
}

func TestRealtimeRejectsBadToken(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	c := centrifuge.NewJsonClient(e.WebsocketURL(), centrifuge.Config{Token: "not-a-jwt"})
	defer c.Close()
	disconnected := make(chan centrifuge.DisconnectedEvent, 1)
	c.OnDisconnected(func(ev centrifuge.DisconnectedEvent) { disconnected <- ev })
	c.OnConnected(func(centrifuge.ConnectedEvent) { t.Error("connected with an invalid token") })
	_ = c.Connect()
	select {
	case ev := <-disconnected:
		if ev.Code != 3500 {
			t.Errorf("disconnect code %d (%s), want 3500 invalid token", ev.Code, ev.Reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not disconnected")
	}
}

func TestBearerUserToken(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{})
	trigger(t, e, key, globalInfo) // for u1
	token, _ := realtimeToken(t, e, key, "u1")
	bearer := map[string]string{"Authorization": "Bearer " + token}

	h := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u1", headers: bearer})
	if h.status != 200 || len(h.json["data"].([]any)) != 1 {
		t.Fatalf("own history with user token: %d %s", h.status, h.raw)
	}
	if a := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u2", headers: bearer}); a.status != 403 {
		t.Fatalf("another user's history: %d %s", a.status, a.raw)
	}
	// Refresh: a user token gets a new token for itself only.
	a := do(t, e, call{method: "POST", path: "/api/v1/auth/realtime-token", body: `{"userId":"u1"}`, headers: bearer})
	if a.status != 200 || a.json["token"] == "" {
		t.Fatalf("refresh: %d %s", a.status, a.raw)
	}
	if a := do(t, e, call{method: "POST", path: "/api/v1/auth/realtime-token", body: `{"userId":"u2"}`, headers: bearer}); a.status != 403 {
		t.Fatalf("token for another user: %d %s", a.status, a.raw)
	}
	if a := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u1", headers: map[string]string{"Authorization": "Bearer " + token + "x"}}); a.status != 401 {
		t.Fatalf("tampered token: %d %s", a.status, a.raw)
	}
}

// TestRealtimeTokenRefresh: with short-lived tokens, the client refreshes
// through getToken (here with its own Bearer token, as the browser SDK does)
// and keeps its connection and subscription.
func TestRealtimeTokenRefresh(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.TokenTTL = 2 * time.Second }))
	_, key := e.CreateTenant(t, enginetest.Tenant{})
	token, channels := realtimeToken(t, e, key, "carol")
	var mu sync.Mutex
	current, refreshes := token, 0
	c := centrifuge.NewJsonClient(e.WebsocketURL(), centrifuge.Config{
		Token: token,
		GetToken: func(centrifuge.ConnectionTokenEvent) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			a := do(t, e, call{method: "POST", path: "/api/v1/auth/realtime-token", body: `{}`, headers: map[string]string{"Authorization": "Bearer " + current}})
			if a.status != 200 {
				return "", fmt.Errorf("refresh: %d %s", a.status, a.raw)
			}
			current = a.json["token"].(string)
			refreshes++
			return current, nil
		},
	})
	defer c.Close()
	connects := make(chan string, 10)
	c.OnConnected(func(ev centrifuge.ConnectedEvent) { connects <- ev.ClientID })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	first := <-connects
	sub, _ := c.NewSubscription(channels[0])
	pubs := make(chan []byte, 10)
	sub.OnPublication(func(ev centrifuge.PublicationEvent) { pubs <- ev.Data })
	if err := sub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4500 * time.Millisecond) // past two expiries
	trigger(t, e, key, `{"eventType":"global.info","payload":{"userId":"carol"},"variables":{"title":"still","message":"here"}}`)
	select {
	case data := <-pubs:
		if !strings.Contains(string(data), `"still"`) {
			t.Fatalf("publication %s", data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no publication after token expiry")
	}
	mu.Lock()
	defer mu.Unlock()
	if refreshes < 1 {
		t.Fatalf("token was never refreshed")
	}
	select {
	case id := <-connects:
		t.Fatalf("client reconnected (%s, first %s) instead of refreshing in place", id, first)
	default:
	}
}
