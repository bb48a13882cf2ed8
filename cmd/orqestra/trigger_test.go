package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/orqestra/orqestra/client"
	"github.com/orqestra/orqestra/internal/enginetest"
)

func TestTrigger(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	const secret = "whsec_cli"
	tenantID, apiKey := e.CreateTenant(t, enginetest.Tenant{Name: "Acme", WebhookSecret: secret})
	vars := map[string]string{"ORQESTRA_URL": e.URL, "ORQESTRA_API_KEY": apiKey, "ORQESTRA_WEBHOOK_SECRET": secret}
	trigger := func(t *testing.T, environ map[string]string, args ...string) (stdout, stderr string, err error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err = runTrigger(context.Background(), env{
			args:   args,
			getenv: func(k string) string { return environ[k] },
			stdin:  strings.NewReader(""),
			stdout: &out,
			stderr: &errOut,
		})
		return out.String(), errOut.String(), err
	}
	stored := func(t *testing.T, userID string) int {
		t.Helper()
		c, err := client.New(e.URL, client.WithAPIKey(apiKey))
		if err != nil {
			t.Fatal(err)
		}
		page, err := c.History(context.Background(), tenantID, userID)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		return len(page.Notifications)
	}

	t.Run("accepted, and a resend with the same key is not stored twice", func(t *testing.T) {
		args := []string{"--event-type", "global.info", "--user", "cli-1", "--var", "title=Hi", "--var", "message=Hello there",
			"--channel", "push", "--idempotency-key", "cli-key-1"}
		for i := range 2 {
			var out, errOut string
			var err error
			if i == 0 {
				out, errOut, err = trigger(t, vars, args...)
			} else { // the resend goes through the binary's command table
				var o, eo bytes.Buffer
				err = run(context.Background(), append([]string{"trigger"}, args...), func(k string) string { return vars[k] }, strings.NewReader(""), &o, &eo)
				out, errOut = o.String(), eo.String()
			}
			if err != nil {
				t.Fatalf("trigger: %v\n%s", err, errOut)
			}
			if !strings.Contains(out, "Event global.info dispatched securely for Acme") || !strings.Contains(out, "idempotencyKey: cli-key-1") {
				t.Errorf("stdout = %q", out)
			}
		}
		if n := stored(t, "cli-1"); n != 1 {
			t.Errorf("stored %d notifications, want 1", n)
		}
	})

	t.Run("not accepted", func(t *testing.T) {
		noSecret := map[string]string{"ORQESTRA_URL": e.URL, "ORQESTRA_API_KEY": apiKey}
		tests := []struct {
			name    string
			env     map[string]string
			args    []string
			wantErr string
		}{
			{"unsigned for a tenant with a secret", noSecret,
				[]string{"--event-type", "global.info", "--user", "u", "--var", "title=a", "--var", "message=b"}, "401"},
			{"no template for the event type", vars,
				[]string{"--event-type", "no.such.event", "--user", "u"}, "no.such.event"},
			{"missing --user", vars, []string{"--event-type", "global.info"}, "--user"},
			{"bad --var", vars, []string{"--event-type", "global.info", "--user", "u", "--var", "novalue"}, "key=value"},
			{"unknown channel", vars, []string{"--event-type", "global.info", "--user", "u", "--channel", "EMAIL,FAX"}, "FAX"},
			{"no API key", map[string]string{"ORQESTRA_URL": e.URL}, []string{"--event-type", "global.info", "--user", "u"}, "ORQESTRA_API_KEY"},
			{"stray argument", vars, []string{"--event-type", "global.info", "--user", "u", "extra"}, "extra"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, errOut, err := trigger(t, tt.env, tt.args...)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q\nstderr: %s", err, tt.wantErr, errOut)
				}
				if out != "" {
					t.Errorf("stdout = %q, want nothing when not accepted", out)
				}
				if strings.Contains(errOut, apiKey) || strings.Contains(err.Error(), apiKey) {
					t.Errorf("the API key was printed")
				}
			})
		}
	})
}
