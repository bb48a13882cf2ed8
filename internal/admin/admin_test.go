package admin_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/admin"
	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/store"
)

const testToken = "test-admin-token-0123456789"

func start(t *testing.T) *enginetest.Engine {
	t.Helper()
	return enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.AdminToken = testToken }))
}

// browser is an HTTP client with cookies that does not follow redirects, so
// tests see each response.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, readBody(b.t, resp)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, readBody(b.t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf reads the form token from a page.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func (b *browser) signIn(token string) *http.Response {
	b.t.Helper()
	csrf := b.csrf("/admin/login")
	resp, _ := b.post("/admin/login", url.Values{"_csrf": {csrf}, "token": {token}, "next": {"/admin/tenants"}})
	return resp
}

func signedIn(t *testing.T, e *enginetest.Engine) *browser {
	t.Helper()
	b := newBrowser(t, e.URL)
	if resp := b.signIn(testToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return b
}

func TestPagesRequireSignIn(t *testing.T) {
	e := start(t)
	tenantID, _ := e.CreateTenant(t, enginetest.Tenant{Name: "Acme"})
	b := newBrowser(t, e.URL)
	for _, path := range []string{
		"/admin/", "/admin/tenants", "/admin/tenants/" + tenantID, "/admin/tenants/" + tenantID + "/templates",
		"/admin/tenants/" + tenantID + "/templates/edit", "/admin/tenants/" + tenantID + "/activity",
		"/admin/tenants/" + tenantID + "/outbox", "/admin/tenants/" + tenantID + "/preflight",
		"/admin/tenants/" + tenantID + "/events/evt_1", "/admin/nothing",
	} {
		resp, _ := b.get(path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
			t.Errorf("GET %s: %d %s, want a redirect to sign-in", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, path := range []string{
		"/admin/tenants", "/admin/tenants/" + tenantID + "/status", "/admin/tenants/" + tenantID + "/keys",
		"/admin/tenants/" + tenantID + "/templates", "/admin/tenants/" + tenantID + "/preflight", "/admin/logout",
	} {
		resp, _ := b.post(path, url.Values{"name": {"x"}, "active": {"0"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s: %d, want 401", path, resp.StatusCode)
		}
	}
	if tn, err := e.Store.Tenant(context.Background(), tenantID); err != nil || !tn.Active {
		t.Fatalf("tenant changed without sign-in: %+v %v", tn, err)
	}
	if resp, body := b.get("/admin/static/admin.css"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "sidebar") {
		t.Errorf("static CSS: %d", resp.StatusCode)
	}
}

func TestSignIn(t *testing.T) {
	e := start(t)
	b := newBrowser(t, e.URL)

	resp, _ := b.get("/admin/login")
	for header, want := range map[string]string{
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "script-src 'self'",
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}

	if resp := b.signIn("not-the-token-at-all"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d, want 401", resp.StatusCode)
	}
	// Without the sign-in form's cookie the post is refused (login CSRF).
	fresh := newBrowser(t, e.URL)
	if resp, _ := fresh.post("/admin/login", url.Values{"_csrf": {"made-up"}, "token": {testToken}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the form cookie: %d, want 403", resp.StatusCode)
	}

	resp = b.signIn(testToken)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/tenants" {
		t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "orq_admin_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/admin" || session.MaxAge <= 0 {
		t.Fatalf("session cookie = %+v", session)
	}
	if resp, body := b.get("/admin/tenants"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "New tenant") {
		t.Fatalf("tenants page: %d", resp.StatusCode)
	}

	// Sign out ends the session on the server, not only in the browser.
	csrf := b.csrf("/admin/tenants")
	if resp, _ := b.post("/admin/logout", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	replay := newBrowser(t, e.URL)
	u, _ := url.Parse(e.URL + "/admin/")
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: session.Value, Path: "/admin"}})
	if resp, _ := replay.get("/admin/tenants"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old session after sign-out: %d, want a redirect to sign-in", resp.StatusCode)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	e := start(t)
	b := newBrowser(t, e.URL)
	var last int
	for i := 0; i < 11; i++ {
		last = b.signIn("wrong-wrong-wrong-wrong").StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("11th wrong sign-in: %d, want 429", last)
	}
	if resp := b.signIn(testToken); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right token while limited: %d, want 429", resp.StatusCode)
	}
}

func TestCSRFRejected(t *testing.T) {
	e := start(t)
	b := signedIn(t, e)
	tenantID, _ := e.CreateTenant(t, enginetest.Tenant{Name: "Acme"})
	ctx := context.Background()

	for name, form := range map[string]url.Values{
		"missing": {"name": {"Evil"}},
		"wrong":   {"name": {"Evil"}, "_csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		if resp, _ := b.post("/admin/tenants", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s CSRF token: %d, want 403", name, resp.StatusCode)
		}
		form.Set("active", "0")
		if resp, _ := b.post("/admin/tenants/"+tenantID+"/status", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s CSRF token on disable: %d, want 403", name, resp.StatusCode)
		}
	}
	// A browser that labels the post cross-site is refused even with a token.
	csrf := b.csrf("/admin/tenants")
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/admin/tenants", strings.NewReader(url.Values{"_csrf": {csrf}, "name": {"Evil"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", resp.StatusCode)
	}
	list, _ := e.Store.Tenants(ctx)
	if len(list) != 1 || !list[0].Active {
		t.Fatalf("tenants after rejected posts: %+v", list)
	}

	// With the token the same form works, and shows the new key once.
	resp, body := b.post("/admin/tenants", url.Values{"_csrf": {csrf}, "name": {"Globex"}, "rate_limit": {"50"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, access.KeyPrefix) {
		t.Fatalf("create tenant: %d", resp.StatusCode)
	}
	key := regexp.MustCompile(`id="new-api-key">([^<]+)<`).FindStringSubmatch(body)
	if key == nil {
		t.Fatal("the new key is not shown")
	}
	tn, err := e.Engine.Keys.Authenticate(ctx, key[1])
	if err != nil || tn.Name != "Globex" || tn.RateLimit != 50 {
		t.Fatalf("the shown key authenticates as %+v, %v", tn, err)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := start(t)
	b := signedIn(t, e)
	ctx := context.Background()
	aID, aKey := e.CreateTenant(t, enginetest.Tenant{Name: "Alpha"})
	bID, _ := e.CreateTenant(t, enginetest.Tenant{Name: "Beta"})

	// Alpha has an event, a template and a key.
	trigger(t, e, aKey, `{"eventType":"global.info","payload":{"userId":"u1","recipientEmail":"a@example.test"},"variables":{"title":"Hi","message":"alpha secret"}}`)
	events, _, err := e.Store.RecentEvents(ctx, aID, store.ActivityFilter{})
	if err != nil || len(events) != 1 {
		t.Fatalf("alpha events: %v %v", events, err)
	}
	tpl, err := e.Store.SaveTemplate(ctx, store.Template{ID: "tpl_alpha", TenantID: aID, EventType: "alpha.only", Channel: "EMAIL", Subject: "S", Body: "alpha body", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := e.Store.APIKeys(ctx, aID)

	// Through Beta's URLs none of it is visible or changeable.
	for _, path := range []string{
		"/admin/tenants/" + bID + "/events/" + events[0].ID,
		"/admin/tenants/" + bID + "/templates/edit?from=" + tpl.ID,
		"/admin/tenants/" + bID + "/templates/versions?eventType=alpha.only&channel=EMAIL",
		"/admin/tenants/ten_nope/activity",
	} {
		if resp, body := b.get(path); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "alpha") {
			t.Errorf("GET %s: %d, want 404 without Alpha's data", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/admin/tenants/" + bID + "/activity", "/admin/tenants/" + bID + "/outbox", "/admin/tenants/" + bID + "/templates"} {
		if resp, body := b.get(path); resp.StatusCode != http.StatusOK || strings.Contains(body, events[0].ID) || strings.Contains(body, "alpha.only") {
			t.Errorf("GET %s shows Alpha's data (%d)", path, resp.StatusCode)
		}
	}
	csrf := b.csrf("/admin/tenants/" + bID)
	if resp, _ := b.post("/admin/tenants/"+bID+"/keys/"+keys[0].ID+"/revoke", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking Alpha's key via Beta: %d, want 404", resp.StatusCode)
	}
	if resp, _ := b.post("/admin/tenants/"+bID+"/templates/"+tpl.ID+"/active", url.Values{"_csrf": {csrf}, "active": {"1"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("activating Alpha's template via Beta: %d, want 404", resp.StatusCode)
	}
	if k, _ := e.Store.APIKeys(ctx, aID); k[0].RevokedAt != nil {
		t.Error("Alpha's key was revoked through Beta")
	}
	if active, _ := e.Store.ActiveTemplates(ctx, aID); len(active) != 0 {
		t.Error("Alpha's template was activated through Beta")
	}

	// Through Alpha's URLs it is.
	if resp, body := b.get("/admin/tenants/" + aID + "/events/" + events[0].ID); resp.StatusCode != http.StatusOK || !strings.Contains(body, "alpha secret") {
		t.Errorf("Alpha's event page: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/admin/tenants/"+aID+"/keys/"+keys[0].ID+"/revoke", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoking Alpha's key: %d", resp.StatusCode)
	}
	if _, err := e.Engine.Keys.Authenticate(ctx, aKey); err == nil {
		t.Error("a revoked key still authenticates")
	}
}

func trigger(t *testing.T, e *enginetest.Engine, key, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/events/trigger", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("trigger: %d %s", resp.StatusCode, b)
	}
}

func TestTemplateEditorAndPreflight(t *testing.T) {
	e := start(t)
	b := signedIn(t, e)
	ctx := context.Background()
	tenantID, key := e.CreateTenant(t, enginetest.Tenant{Name: "Acme"})
	base := "/admin/tenants/" + tenantID
	csrf := b.csrf(base + "/templates/edit")

	form := url.Values{"_csrf": {csrf}, "event_type": {"order.confirmed"}, "channel": {"EMAIL"}, "category": {"orders"},
		"subject": {"Order {{orderNumber}}"}, "body": {"Hi {{name}}"}, "html": {"<p>Hi {{name}}</p>"},
		"sample": {`{"name":"<b>Ada</b>","orderNumber":"A-1"}`}, "action": {"preview"}}
	resp, body := b.post(base+"/templates", form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	for _, want := range []string{`<code class="var">orderNumber</code>`, `<code class="var">name</code>`, `data-testid="preview-subject">Order A-1<`,
		// The HTML part escapes the variable, and the page escapes it again for srcdoc.
		`srcdoc="&lt;p&gt;Hi &amp;lt;b&amp;gt;Ada&amp;lt;/b&amp;gt;&lt;/p&gt;"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %s", want)
		}
	}
	if list, _ := e.Store.Templates(ctx, tenantID); len(list) != 0 {
		t.Fatal("preview saved a template")
	}

	// Problems are listed together.
	bad := url.Values{"_csrf": {csrf}, "event_type": {""}, "channel": {"EMAIL"}, "action": {"save"}}
	if resp, body := b.post(base+"/templates", bad); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Event type is required") || !strings.Contains(body, "needs a subject") {
		t.Fatalf("invalid template: %d", resp.StatusCode)
	}

	form.Set("action", "save")
	if resp, _ := b.post(base+"/templates", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	form.Set("action", "activate")
	form.Set("body", "Hello {{name}}")
	if resp, _ := b.post(base+"/templates", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save and activate: %d", resp.StatusCode)
	}
	versions, _ := e.Store.TemplateVersions(ctx, tenantID, "order.confirmed", "EMAIL")
	if len(versions) != 2 || !versions[0].Active || versions[1].Active || versions[0].Body != "Hello {{name}}" {
		t.Fatalf("versions = %+v", versions)
	}
	// Restore version 1 by activating it.
	if resp, _ := b.post(base+"/templates/"+versions[1].ID+"/active", url.Values{"_csrf": {csrf}, "active": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("activate v1: %d", resp.StatusCode)
	}
	active, _ := e.Store.ActiveTemplates(ctx, tenantID)
	if len(active) != 1 || active[0].Version != 1 {
		t.Fatalf("active after restore = %+v", active)
	}
	if resp, body := b.get(base + "/templates/versions?eventType=order.confirmed&channel=EMAIL"); resp.StatusCode != http.StatusOK || strings.Count(body, "Version ") < 2 {
		t.Fatalf("versions page: %d", resp.StatusCode)
	}
	// The API uses it at once.
	trigger(t, e, key, `{"eventType":"order.confirmed","payload":{"userId":"u1","recipientEmail":"a@example.test"},"variables":{"name":"Ada","orderNumber":"A-1"}}`)

	// Pre-flight: step 2 is done; sending the test reaches delivered.
	resp, body = b.get(base + "/preflight")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `class="done" data-testid="step-template"`) || strings.Contains(body, `data-testid="test-status"`) {
		t.Fatalf("pre-flight before the test: %d", resp.StatusCode)
	}
	if resp, _ := b.post(base+"/preflight", url.Values{"_csrf": {csrf}, "email": {"ops@example.test"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send test: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = b.get(base + "/preflight")
		if strings.Contains(body, `data-testid="test-status">delivered`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pre-flight test was not delivered:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Activity filters by event type, user and status.
	for query, want := range map[string]int{
		"":                        2,
		"?eventType=global.info":  1,
		"?user=u1":                1,
		"?status=sent":            2,
		"?status=failed":          0,
		"?eventType=nope.nothing": 0,
	} {
		_, body := b.get(base + "/activity" + query)
		if got := strings.Count(body, `/events/evt_`); got != want {
			t.Errorf("activity%s lists %d events, want %d", query, got, want)
		}
	}
	if resp, body := b.get(base + "/outbox"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Orqestra pre-flight test") {
		t.Errorf("outbox: %d", resp.StatusCode)
	}

	// A disabled tenant cannot send the test, and its keys stop working.
	if resp, _ := b.post(base+"/status", url.Values{"_csrf": {csrf}, "active": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := b.post(base+"/preflight", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("test on a disabled tenant: %d, want 422", resp.StatusCode)
	}
	if _, err := e.Engine.Keys.Authenticate(ctx, key); err == nil {
		t.Error("a disabled tenant's key still authenticates")
	}
}

func TestTenantSettings(t *testing.T) {
	e := start(t)
	b := signedIn(t, e)
	ctx := context.Background()
	tenantID, _ := e.CreateTenant(t, enginetest.Tenant{Name: "Acme"})
	base := "/admin/tenants/" + tenantID
	csrf := b.csrf(base)
	if resp, _ := b.post(base+"/settings", url.Values{"_csrf": {csrf}, "name": {"Acme 2"}, "rate_limit": {"7"}, "webhook": {"generate"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	tn, _ := e.Store.Tenant(ctx, tenantID)
	if tn.Name != "Acme 2" || tn.RateLimit != 7 || !strings.HasPrefix(tn.WebhookSecret, "whsec_") {
		t.Fatalf("tenant = %+v", tn)
	}
	if resp, _ := b.post(base+"/settings", url.Values{"_csrf": {csrf}, "name": {"Acme 2"}, "rate_limit": {"-1"}, "webhook": {"keep"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("negative rate limit: %d, want 422", resp.StatusCode)
	}
	if resp, _ := b.post(base+"/settings", url.Values{"_csrf": {csrf}, "name": {"Acme 2"}, "rate_limit": {"7"}, "webhook": {"clear"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear secret: %d", resp.StatusCode)
	}
	if tn, _ := e.Store.Tenant(ctx, tenantID); tn.WebhookSecret != "" {
		t.Fatal("webhook secret not cleared")
	}
	if resp, body := b.post(base+"/keys", url.Values{"_csrf": {csrf}, "name": {"ci"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="new-api-key">orq_`) {
		t.Fatalf("new key: %d", resp.StatusCode)
	}
	if keys, _ := e.Store.APIKeys(ctx, tenantID); len(keys) != 2 || keys[1].Name != "ci" {
		t.Fatalf("keys = %+v", keys)
	}
}

func TestGeneratedTokenAndReset(t *testing.T) {
	var logBuf lockedBuffer
	e := enginetest.Start(t, enginetest.WithLog(&logBuf))
	m := regexp.MustCompile(`"admin_token":"(orqadm_[A-Za-z0-9_-]+)"`).FindStringSubmatch(logBuf.String())
	if m == nil {
		t.Fatalf("no generated token in the log:\n%s", logBuf.String())
	}
	b := newBrowser(t, e.URL)
	if resp := b.signIn(m[1]); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with the generated token: %d", resp.StatusCode)
	}
	// The hash is stored, not the token.
	stored, _ := e.Store.Setting(context.Background(), "admin_token_hash")
	if strings.Contains(stored, m[1]) || len(stored) != 64 {
		t.Fatalf("stored %q", stored)
	}
	token, err := admin.ResetToken(context.Background(), e.Store)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get("/admin/tenants"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session after reset: %d, want a redirect to sign-in", resp.StatusCode)
	}
	if resp := b.signIn(m[1]); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old token after reset: %d", resp.StatusCode)
	}
	if resp := b.signIn(token); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new token: %d", resp.StatusCode)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
