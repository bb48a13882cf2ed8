package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/store"
)

// call makes one request and decodes the JSON answer.
type call struct {
	method, path, key, body string
	headers                 map[string]string
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func do(t *testing.T, e *enginetest.Engine, c call) answer {
	t.Helper()
	req, err := http.NewRequest(c.method, e.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("x-api-key", c.key)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &a.json); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", c.method, c.path, raw, err)
		}
	}
	return a
}

func trigger(t *testing.T, e *enginetest.Engine, key, body string) answer {
	t.Helper()
	return do(t, e, call{method: "POST", path: "/api/v1/events/trigger", key: key, body: body})
}

const globalInfo = `{"eventType":"global.info","payload":{"userId":"u1"},"variables":{"title":"Hello","message":"World"}}`

func TestTriggerSuccessAndHistory(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{Name: "Acme Corp"})

	a := trigger(t, e, key, globalInfo)
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	if a.json["success"] != true || a.json["message"] != "Event global.info dispatched securely for Acme Corp" {
		t.Fatalf("body %s", a.raw)
	}
	eventID, _ := a.json["eventId"].(string)
	if eventID == "" {
		t.Fatalf("no eventId in %s", a.raw)
	}
	if a.header.Get("X-Trace-Id") == "" {
		t.Fatal("no X-Trace-Id generated")
	}

	h := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u1", key: key})
	if h.status != 200 || h.json["success"] != true {
		t.Fatalf("history %d: %s", h.status, h.raw)
	}
	data := h.json["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("history has %d items: %s", len(data), h.raw)
	}
	item := data[0].(map[string]any)
	for k, want := range map[string]any{"title": "Hello", "body": "World", "status": "UNREAD", "eventType": "global.info", "category": "info", "type": "global.info"} {
		if item[k] != want {
			t.Errorf("item[%q] = %v, want %v", k, item[k], want)
		}
	}
	created, err := time.Parse(time.RFC3339, item["created_at"].(string))
	if err != nil || created.Location() != time.UTC || time.Since(created) > time.Minute {
		t.Errorf("created_at %v is not a recent RFC 3339 UTC time (%v)", item["created_at"], err)
	}
	if h.json["unreadCount"] != float64(1) {
		t.Errorf("unreadCount = %v", h.json["unreadCount"])
	}

	// Mark read, then history says READ; unknown id is 404.
	id := item["id"].(string)
	r := do(t, e, call{method: "PUT", path: "/api/v1/notifications/" + tenant + "/u1/" + id + "/read", key: key})
	if r.status != 200 || string(r.raw) != `{"success":true}` {
		t.Fatalf("mark read %d: %s", r.status, r.raw)
	}
	h = do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u1", key: key})
	if st := h.json["data"].([]any)[0].(map[string]any)["status"]; st != "READ" {
		t.Fatalf("status after mark read = %v", st)
	}
	r = do(t, e, call{method: "PUT", path: "/api/v1/notifications/" + tenant + "/u1/ntf_nope/read", key: key})
	if r.status != 404 || r.json["statusCode"] != float64(404) {
		t.Fatalf("unknown id: %d %s", r.status, r.raw)
	}
	// Another user's notification is not found for this user either.
	r = do(t, e, call{method: "PUT", path: "/api/v1/notifications/" + tenant + "/u2/" + id + "/read", key: key})
	if r.status != 404 {
		t.Fatalf("other user's id: %d %s", r.status, r.raw)
	}

	// The event API shows it.
	ev := do(t, e, call{method: "GET", path: "/api/v1/events/" + eventID, key: key})
	if ev.status != 200 || ev.json["data"].(map[string]any)["eventType"] != "global.info" {
		t.Fatalf("event %d: %s", ev.status, ev.raw)
	}
}

func TestHistoryPaginationAndReadAll(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{})
	for i := range 5 {
		a := trigger(t, e, key, fmt.Sprintf(`{"eventType":"global.info","payload":{"userId":"pager"},"variables":{"title":"n%d","message":"m"}}`, i))
		if a.status != 200 {
			t.Fatalf("trigger %d: %d %s", i, a.status, a.raw)
		}
	}
	var titles []string
	cursor := ""
	for page := 0; page < 5; page++ {
		path := "/api/v1/notifications/" + tenant + "/pager?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		h := do(t, e, call{method: "GET", path: path, key: key})
		if h.status != 200 {
			t.Fatalf("page %d: %d %s", page, h.status, h.raw)
		}
		for _, it := range h.json["data"].([]any) {
			titles = append(titles, it.(map[string]any)["title"].(string))
		}
		next, _ := h.json["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if got := strings.Join(titles, ","); got != "n4,n3,n2,n1,n0" {
		t.Fatalf("pages gave %s, want newest first n4..n0", got)
	}
	bad := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/pager?limit=0", key: key})
	if bad.status != 422 {
		t.Fatalf("limit=0: %d %s", bad.status, bad.raw)
	}
	r := do(t, e, call{method: "PUT", path: "/api/v1/notifications/" + tenant + "/pager/read-all", key: key})
	if r.status != 200 || r.json["updated"] != float64(5) {
		t.Fatalf("read-all: %d %s", r.status, r.raw)
	}
	h := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/pager?status=UNREAD", key: key})
	if n := len(h.json["data"].([]any)); n != 0 || h.json["unreadCount"] != float64(0) {
		t.Fatalf("unread after read-all: %d items, count %v", n, h.json["unreadCount"])
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{})
	otherTenant, otherKey := e.CreateTenant(t, enginetest.Tenant{Name: "Other"})
	want401 := `{"statusCode":401,"message":"Invalid or inactive API key","error":"Unauthorized"}`

	for name, k := range map[string]string{"missing": "", "wrong": "orq_wrong", "huge": strings.Repeat("x", 5000)} {
		a := trigger(t, e, k, globalInfo)
		if a.status != 401 || string(a.raw) != want401 {
			t.Errorf("%s key: %d %s", name, a.status, a.raw)
		}
	}

	// Another tenant's key gets 403 on this tenant's inbox, never data.
	trigger(t, e, key, globalInfo)
	a := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u1", key: otherKey})
	if a.status != 403 || a.json["statusCode"] != float64(403) || bytes.Contains(a.raw, []byte("Hello")) {
		t.Errorf("cross-tenant history: %d %s", a.status, a.raw)
	}
	a = do(t, e, call{method: "PUT", path: "/api/v1/notifications/" + tenant + "/u1/x/read", key: otherKey})
	if a.status != 403 {
		t.Errorf("cross-tenant mark read: %d %s", a.status, a.raw)
	}
	_ = otherTenant

	// Revoked key and disabled tenant: 401.
	keys, err := e.Store.APIKeys(context.Background(), otherTenant)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	if err := e.Store.RevokeAPIKey(context.Background(), otherTenant, keys[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if a := trigger(t, e, otherKey, globalInfo); a.status != 401 || string(a.raw) != want401 {
		t.Errorf("revoked key: %d %s", a.status, a.raw)
	}
	tn, _ := e.Store.Tenant(context.Background(), tenant)
	tn.Active = false
	if err := e.Store.UpdateTenant(context.Background(), tn); err != nil {
		t.Fatal(err)
	}
	if a := trigger(t, e, key, globalInfo); a.status != 401 || string(a.raw) != want401 {
		t.Errorf("inactive tenant: %d %s", a.status, a.raw)
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{RateLimit: -1})
	tests := []struct {
		name, body string
		want       []string
	}{
		{"malformed JSON", `{"eventType":`, []string{"request body must be a JSON object"}},
		{"not an object", `[1,2]`, []string{"request body must be a JSON object"}},
		{"missing eventType and userId", `{"payload":{}}`, []string{"eventType must be a string", "payload.userId must be a string"}},
		{"non-string eventType", `{"eventType":7,"payload":{"userId":"u"}}`, []string{"eventType must be a string"}},
		{"missing payload", `{"eventType":"global.info","variables":{"title":"t","message":"m"}}`, []string{"payload must be an object", "payload.userId must be a string"}},
		{"unknown channel", `{"eventType":"global.info","channels":["PUSH","FAX"],"payload":{"userId":"u"},"variables":{"title":"t","message":"m"}}`, []string{"channels[1] must be one of EMAIL, SMS, PUSH"}},
		{"EMAIL without recipient", `{"eventType":"global.info","channels":["EMAIL"],"payload":{"userId":"u"},"variables":{"title":"t","message":"m"}}`, []string{"payload.recipientEmail is required for the EMAIL channel"}},
		{"bad email", `{"eventType":"global.info","payload":{"userId":"u","recipientEmail":"not-an-email"},"variables":{"title":"t","message":"m"}}`, []string{"payload.recipientEmail must be a valid email address"}},
		{"SMS without E.164", `{"eventType":"global.info","channels":["SMS"],"payload":{"userId":"u","recipientPhone":"0712345678"},"variables":{"title":"t","message":"m"}}`, []string{"payload.recipientPhone must be a phone number in E.164 format, e.g. +254712345678"}},
		{"global without title and message", `{"eventType":"global.alert","payload":{"userId":"u"}}`, []string{"variables.title must be a non-empty string for global.* event types", "variables.message must be a non-empty string for global.* event types"}},
		{"no template", `{"eventType":"order.confirmed","payload":{"userId":"u"}}`, []string{`eventType "order.confirmed" has no active template for any wanted channel; create and activate one first`}},
		{"variables not an object", `{"eventType":"global.info","payload":{"userId":"u"},"variables":"x"}`, []string{"variables must be an object"}},
	}
	for _, tt := range tests {
		a := trigger(t, e, key, tt.body)
		if a.status != 422 || a.json["statusCode"] != float64(422) || a.json["error"] != "Unprocessable Entity" {
			t.Errorf("%s: %d %s", tt.name, a.status, a.raw)
			continue
		}
		msgs := a.json["message"].([]any)
		for _, w := range tt.want {
			found := false
			for _, m := range msgs {
				if strings.HasPrefix(m.(string), w) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: messages %v lack %q", tt.name, msgs, w)
			}
		}
	}
	n, _ := e.Store.CountEvents(context.Background(), tenant)
	if n != 0 {
		t.Errorf("invalid requests stored %d events", n)
	}

	// Over 1 MiB: 413 in the same shape.
	big := `{"eventType":"global.info","payload":{"userId":"u"},"variables":{"title":"t","message":"` + strings.Repeat("a", 1<<20) + `"}}`
	a := trigger(t, e, key, big)
	if a.status != 413 || a.json["statusCode"] != float64(413) || a.json["error"] != "Request Entity Too Large" {
		t.Errorf("big body: %d %s", a.status, a.raw)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	_, key := e.CreateTenant(t, enginetest.Tenant{RateLimit: 3})
	for i := range 3 {
		if a := trigger(t, e, key, globalInfo); a.status != 200 {
			t.Fatalf("request %d: %d %s", i, a.status, a.raw)
		}
	}
	a := trigger(t, e, key, globalInfo)
	if a.status != 429 || a.json["statusCode"] != float64(429) || a.json["error"] != "Too Many Requests" || a.json["message"] != "Rate limit exceeded. Limit: 3/min" {
		t.Fatalf("4th request: %d %s", a.status, a.raw)
	}
	ra, ok := a.json["retryAfter"].(float64)
	if !ok || ra < 1 || ra > 20 {
		t.Fatalf("retryAfter = %v", a.json["retryAfter"])
	}
	if a.header.Get("Retry-After") != fmt.Sprint(int(ra)) {
		t.Fatalf("Retry-After header %q, body %v", a.header.Get("Retry-After"), ra)
	}
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignature(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	_, key := e.CreateTenant(t, enginetest.Tenant{WebhookSecret: "s3cret"})
	post := func(sig string) answer {
		h := map[string]string{}
		if sig != "" {
			h["X-Orqestra-Signature"] = sig
		}
		return do(t, e, call{method: "POST", path: "/api/v1/events/trigger", key: key, body: globalInfo, headers: h})
	}
	if a := post(""); a.status != 401 || a.json["statusCode"] != float64(401) {
		t.Errorf("missing signature: %d %s", a.status, a.raw)
	}
	if a := post(sign("wrong", globalInfo)); a.status != 401 {
		t.Errorf("wrong signature: %d %s", a.status, a.raw)
	}
	if a := post(sign("s3cret", globalInfo+" ")); a.status != 401 {
		t.Errorf("signature of another body: %d %s", a.status, a.raw)
	}
	if a := post(sign("s3cret", globalInfo)); a.status != 200 {
		t.Errorf("right signature: %d %s", a.status, a.raw)
	}
	// Tenants without a secret ignore the header.
	_, plain := e.CreateTenant(t, enginetest.Tenant{Name: "Plain"})
	if a := trigger(t, e, plain, globalInfo); a.status != 200 {
		t.Errorf("unsigned tenant: %d %s", a.status, a.raw)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{RateLimit: -1})
	send := func(idem, body string) answer {
		return do(t, e, call{method: "POST", path: "/api/v1/events/trigger", key: key, body: body, headers: map[string]string{"X-Idempotency-Key": idem}})
	}
	first := send("k1", globalInfo)
	again := send("k1", globalInfo)
	if first.status != 200 || again.status != 200 || string(first.raw) != string(again.raw) {
		t.Fatalf("replay differs: %d %s / %d %s", first.status, first.raw, again.status, again.raw)
	}
	if again.header.Get("X-Idempotent-Replay") != "true" {
		t.Error("replay not marked")
	}
	other := send("k1", strings.Replace(globalInfo, "World", "Changed", 1))
	if other.status != 422 || !strings.Contains(fmt.Sprint(other.json["message"]), "X-Idempotency-Key") {
		t.Fatalf("same key, other body: %d %s", other.status, other.raw)
	}

	// Concurrent duplicates dispatch once.
	var wg sync.WaitGroup
	ids := make([]string, 20)
	body := `{"eventType":"global.info","payload":{"userId":"conc"},"variables":{"title":"t","message":"m"}}`
	for i := range ids {
		wg.Go(func() {
			a := send("k-conc", body)
			if a.status == 200 {
				ids[i], _ = a.json["eventId"].(string)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("concurrent duplicates answered different events: %v", ids)
		}
	}
	h := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/conc", key: key})
	if n := len(h.json["data"].([]any)); n != 1 {
		t.Fatalf("concurrent duplicates stored %d notifications", n)
	}
}

func TestEventIDConflict(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	_, key := e.CreateTenant(t, enginetest.Tenant{})
	body := `{"eventType":"global.info","eventId":"order-17","payload":{"userId":"u"},"variables":{"title":"t","message":"m"}}`
	if a := trigger(t, e, key, body); a.status != 200 || a.json["eventId"] != "order-17" {
		t.Fatalf("first: %d %s", a.status, a.raw)
	}
	if a := trigger(t, e, key, body); a.status != 409 || a.json["statusCode"] != float64(409) {
		t.Fatalf("reused eventId: %d %s", a.status, a.raw)
	}
}

func TestTraceID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	e := enginetest.Start(t, enginetest.WithLog(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	})))
	_, key := e.CreateTenant(t, enginetest.Tenant{})
	a := do(t, e, call{method: "POST", path: "/api/v1/events/trigger", key: key, body: `{}`, headers: map[string]string{"X-Trace-Id": "trace-abc-123"}})
	if a.header.Get("X-Trace-Id") != "trace-abc-123" {
		t.Fatalf("trace id not echoed: %q", a.header.Get("X-Trace-Id"))
	}
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"path":"/api/v1/events/trigger"`) {
			if !strings.Contains(line, `"trace_id":"trace-abc-123"`) {
				t.Errorf("request log line without trace id: %s", line)
			}
			found = true
		}
	}
	if !found {
		t.Errorf("no request log line in:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), key) {
		t.Error("the API key appears in the log")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestCustomTemplatesAndEmailThroughOutbox(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tenant, key := e.CreateTenant(t, enginetest.Tenant{})
	ctx := context.Background()
	for _, tpl := range []store.Template{
		{ID: "tpl_push", Channel: "PUSH", Category: "orders", Title: "Order {{orderNumber}} confirmed", Body: "Total {{amount}}"},
		{ID: "tpl_mail", Channel: "EMAIL", Subject: "Your order {{orderNumber}}", Body: "Hi {{name}}", HTML: "<p>Hi {{name}}</p>"},
		{ID: "tpl_draft", Channel: "SMS", Body: "draft {{orderNumber}}"},
	} {
		tpl.TenantID, tpl.EventType, tpl.Active, tpl.CreatedAt = tenant, "order.confirmed", tpl.ID != "tpl_draft", time.Now()
		if _, err := e.Store.SaveTemplate(ctx, tpl); err != nil {
			t.Fatal(err)
		}
	}
	body := `{"eventType":"order.confirmed","payload":{"userId":"u9","recipientEmail":"ada@example.com","recipientPhone":"+254712345678"},"variables":{"orderNumber":"A-17","amount":"KES 1,200","name":"<Ada>"}}`
	a := trigger(t, e, key, body)
	if a.status != 200 {
		t.Fatalf("trigger: %d %s", a.status, a.raw)
	}
	eventID := a.json["eventId"].(string)
	h := do(t, e, call{method: "GET", path: "/api/v1/notifications/" + tenant + "/u9", key: key})
	item := h.json["data"].([]any)[0].(map[string]any)
	if item["title"] != "Order A-17 confirmed" || item["body"] != "Total KES 1,200" || item["category"] != "orders" {
		t.Fatalf("rendered PUSH: %v", item)
	}
	// EMAIL goes through River to the outbox; SMS has only a draft, so it is skipped.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := do(t, e, call{method: "GET", path: "/api/v1/events/" + eventID, key: key})
		ds := ev.json["data"].(map[string]any)["deliveries"].([]any)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %s", ev.raw)
		}
		d := ds[0].(map[string]any)
		if d["status"] == "sent" {
			if d["channel"] != "EMAIL" || d["provider"] != "outbox" || d["attempts"] != float64(1) {
				t.Fatalf("delivery: %v", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("email not delivered: %s", ev.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	msgs, err := e.Store.OutboxMessages(ctx, tenant, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %v %v", msgs, err)
	}
	m := msgs[0]
	if m.Recipient != "ada@example.com" || m.Subject != "Your order A-17" || m.Body != "Hi <Ada>" || m.HTML != "<p>Hi &lt;Ada&gt;</p>" {
		t.Fatalf("outbox message: %+v", m)
	}
	// Asking for SMS explicitly names the missing template.
	a = trigger(t, e, key, strings.Replace(body, `"payload"`, `"channels":["SMS"],"payload"`, 1))
	if a.status != 422 || !strings.Contains(string(a.raw), "no active template for channel SMS") {
		t.Fatalf("SMS without active template: %d %s", a.status, a.raw)
	}
}
