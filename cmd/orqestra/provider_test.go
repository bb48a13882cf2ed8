package main

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/provider/smtp/smtptest"
	"github.com/orqestra/orqestra/internal/secret"
)

// TestProviderCommands drives add, list, test and remove against a real
// SMTP server, with an explicit ORQESTRA_SECRET_KEY.
func TestProviderCommands(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	c := cli{t: t, env: map[string]string{
		"ORQESTRA_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "o.db"),
		"ORQESTRA_SECRET_KEY":   secret.EncodeKey(secret.GenerateKey()),
	}}
	var tenant struct{ ID string }
	if err := json.Unmarshal([]byte(c.must("tenant", "create", "--name", "Acme", "--json")), &tenant); err != nil {
		t.Fatal(err)
	}

	// Every problem at once, nothing saved.
	_, errOut, err := c.run("provider", "add", "--tenant", tenant.ID, "--channel", "SMS", "--kind", "smtp", "--set", "hots=x", "--set", "port=abc")
	if !errors.Is(err, errUsage) {
		t.Fatalf("bad add: %v", err)
	}
	for _, want := range []string{`unknown key "hots"`, `port must be a whole number, got "abc"`, "kind smtp delivers EMAIL, not SMS"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	const password = "a-long-smtp-password-4321"
	out := c.must("provider", "add", "--tenant", tenant.ID, "--channel", "EMAIL", "--kind", "smtp", "--name", "relay", "--json",
		"--set", "host="+srv.Host(), "--set", "port="+strconv.Itoa(srv.Port()), "--set", "security=none",
		"--set", "username=u", "--set", "password="+password, "--set", "allowInsecureAuth=true", "--set", "from=shop@acme.test")
	var added struct {
		ID     string
		Config map[string]any
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.ID == "" {
		t.Fatalf("add: %v\n%s", err, out)
	}
	list := c.must("provider", "list", "--tenant", tenant.ID, "--json")
	if strings.Contains(list, password) || !strings.Contains(list, "••••4321") || !strings.Contains(list, `"name": "relay"`) {
		t.Fatalf("list leaks or lacks the masked password:\n%s", list)
	}
	if table := c.must("provider", "list", "--tenant", tenant.ID); strings.Contains(table, password) || !strings.Contains(table, added.ID) {
		t.Fatalf("table:\n%s", table)
	}

	// The test server has no AUTH, so the configured credentials make the
	// test fail: the CLI reports it as a failure with the server's reason.
	_, _, err = c.run("provider", "test", "--tenant", tenant.ID, "--provider", added.ID, "--to", "ann@example.com")
	if err == nil || exitCode(err) != 1 || strings.Contains(err.Error(), password) {
		t.Fatalf("test through a provider the server refuses: %v", err)
	}
	if !strings.Contains(err.Error(), "permanent") || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("test failure should say why and how it is classified: %v", err)
	}

	plain := c.must("provider", "add", "--tenant", tenant.ID, "--channel", "EMAIL", "--kind", "smtp", "--priority", "2", "--json",
		"--set", "host="+srv.Host(), "--set", "port="+strconv.Itoa(srv.Port()), "--set", "security=none", "--set", "from=shop@acme.test")
	var second struct{ ID string }
	json.Unmarshal([]byte(plain), &second)
	out = c.must("provider", "test", "--tenant", tenant.ID, "--provider", second.ID, "--to", "ann@example.com")
	if !strings.Contains(out, "provider message id: orq.test_") {
		t.Fatalf("test output:\n%s", out)
	}
	m := srv.WaitMessages(t, 1, 5*time.Second)[0]
	if p, err := m.Parse(); err != nil || p.Subject != "Orqestra test message" || m.To[0] != "ann@example.com" {
		t.Fatalf("test message: %+v %v", p, err)
	}

	c.must("provider", "remove", "--tenant", tenant.ID, "--provider", added.ID)
	if list := c.must("provider", "list", "--tenant", tenant.ID, "--json"); strings.Contains(list, added.ID) || !strings.Contains(list, second.ID) {
		t.Fatalf("after remove:\n%s", list)
	}
	if _, _, err := c.run("provider", "remove", "--tenant", tenant.ID, "--provider", added.ID); err == nil {
		t.Fatal("removing twice succeeded")
	}
}
