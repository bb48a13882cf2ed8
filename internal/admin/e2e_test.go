package admin_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/provider/smtp/smtptest"
)

// TestAdminE2E drives the admin UI in Debian's headless Chromium through
// e2e/admin.e2e.mjs (playwright-core): sign in, create a tenant, add an SMTP
// provider pointing at a real test SMTP server, create, preview and activate
// an order.confirmed template, send the pre-flight test, see it delivered in
// Activity, and check here that the emails arrived.
//
// It runs only with ORQESTRA_E2E=1 (it needs node, /usr/bin/chromium and
// `npm ci` in e2e/), so `go test ./...` stays quick and green anywhere.
// ORQESTRA_E2E_SHOTS names a folder to keep the screenshots in.
func TestAdminE2E(t *testing.T) {
	if os.Getenv("ORQESTRA_E2E") != "1" {
		t.Skip("set ORQESTRA_E2E=1 to run the browser end-to-end test")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	chromium := os.Getenv("ORQ_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium: %v (apt-get install chromium)", err)
	}
	if _, err := os.Stat("e2e/node_modules/playwright-core"); err != nil {
		t.Fatal("playwright-core is not installed: run `npm ci` in internal/admin/e2e")
	}

	smtpSrv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain})
	const token = "e2e-admin-token-0123456789"
	e := enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.AdminToken = token }))

	shots := os.Getenv("ORQESTRA_E2E_SHOTS")
	if shots == "" {
		shots = filepath.Join(t.TempDir(), "shots")
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}
	resultFile := filepath.Join(t.TempDir(), "result.json")
	const recipient = "ops@example.test"

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "admin.e2e.mjs")
	cmd.Dir = "e2e"
	cmd.Env = append(os.Environ(),
		"ORQ_URL="+e.URL, "ORQ_ADMIN_TOKEN="+token, "ORQ_RECIPIENT="+recipient, "ORQ_CHROMIUM="+chromium,
		"ORQ_SMTP_HOST="+smtpSrv.Host(), "ORQ_SMTP_PORT="+strconv.Itoa(smtpSrv.Port()),
		"ORQ_SHOTS="+shots, "ORQ_RESULT="+resultFile)
	out, err := cmd.CombinedOutput()
	t.Logf("node admin.e2e.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v (screenshots in %s)", err, shots)
	}
	var result struct {
		OK           bool   `json:"ok"`
		TenantID     string `json:"tenantID"`
		Provider     bool   `json:"provider"`
		OrderEventID string `json:"orderEventID"`
	}
	b, err := os.ReadFile(resultFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &result); err != nil || !result.OK {
		t.Fatalf("result %s: %v", b, err)
	}

	// The browser saw both deliveries as sent; check what the store and the
	// SMTP server say.
	d, err := e.Store.EventDeliveries(context.Background(), result.TenantID, result.OrderEventID)
	if err != nil || len(d) != 1 || d[0].Status != "sent" {
		t.Fatalf("order.confirmed deliveries = %+v, %v", d, err)
	}
	if !result.Provider {
		// Without a Providers page (not wired in yet) email goes to the
		// outbox provider: check it kept both messages.
		msgs, err := e.Store.OutboxMessages(context.Background(), result.TenantID, 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("outbox = %+v, %v", msgs, err)
		}
		t.Log("no Providers page yet: checked the outbox instead of the SMTP server")
		return
	}
	msgs := smtpSrv.WaitMessages(t, 3, 10*time.Second) // provider test, pre-flight, order
	var subjects []string
	for _, m := range msgs {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, p.Subject)
		if len(m.To) != 1 || m.To[0] != recipient {
			t.Errorf("email to %v, want %s", m.To, recipient)
		}
	}
	joined := strings.Join(subjects, " | ")
	if !strings.Contains(joined, "Orqestra test message") || !strings.Contains(joined, "Orqestra pre-flight test") || !strings.Contains(joined, "Order A-1001 confirmed") {
		t.Fatalf("emails arrived with subjects %q", joined)
	}
}
