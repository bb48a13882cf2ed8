package smtp_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/smtp"
	"github.com/orqestra/orqestra/internal/provider/smtp/smtptest"
)

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func message(id string) delivery.Message {
	return delivery.Message{
		DeliveryID: id, TenantID: "t1", EventID: "e1", Channel: delivery.ChannelEmail,
		To: "ada@example.com", Subject: "Café ☕ is ready",
		Text: "Hello Ada,\nyour order is ready.", HTML: "<p>Hello <b>Ada</b>, your order is ready.</p>",
	}
}

func newSender(t *testing.T, srv *smtptest.Server, cfg smtp.Config) *smtp.Sender {
	t.Helper()
	cfg.Host = srv.Host()
	cfg.Port = srv.Port()
	if cfg.From == "" {
		cfg.From = "noreply@acme.test"
	}
	if cfg.TimeoutSeconds == 0 {
		cfg.TimeoutSeconds = 5
	}
	s, err := smtp.New(cfg, smtp.WithTLSConfig(srv.ClientTLSConfig()), smtp.WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     smtptest.Options
		cfg      smtp.Config
		html     bool
		wantTLS  bool
		wantMech string
	}{
		{"starttls auth plain", smtptest.Options{Security: smtptest.StartTLS, Username: "u", Password: "p@ss"},
			smtp.Config{Security: "starttls", Username: "u", Password: "p@ss"}, true, true, "PLAIN"},
		{"implicit tls auth login", smtptest.Options{Security: smtptest.ImplicitTLS, Username: "u", Password: "p@ss"},
			smtp.Config{Security: "tls", Username: "u", Password: "p@ss", AuthMechanism: "login"}, true, true, "LOGIN"},
		{"plain no auth text only", smtptest.Options{Security: smtptest.Plain},
			smtp.Config{Security: "none"}, false, false, ""},
		{"plain auth explicitly allowed", smtptest.Options{Security: smtptest.Plain, Username: "u", Password: "p", AllowInsecureAuth: true},
			smtp.Config{Security: "none", Username: "u", Password: "p", AllowInsecureAuth: true}, true, false, "PLAIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tt.opts)
			tt.cfg.FromName = "Acme Störe"
			s := newSender(t, srv, tt.cfg)
			msg := message("del-123")
			if !tt.html {
				msg.HTML = ""
			}
			rcpt, err := s.Send(context.Background(), msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if rcpt.ProviderMessageID != "orq.del-123@acme.test" {
				t.Errorf("ProviderMessageID = %q", rcpt.ProviderMessageID)
			}
			got := srv.WaitMessages(t, 1, 5*time.Second)[0]
			if got.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got.TLS, tt.wantTLS)
			}
			if got.AuthMechanism != tt.wantMech || (tt.wantMech != "" && got.AuthUser != "u") {
				t.Errorf("auth = %q/%q, want %q/u", got.AuthMechanism, got.AuthUser, tt.wantMech)
			}
			if got.From != "noreply@acme.test" || len(got.To) != 1 || got.To[0] != "ada@example.com" {
				t.Errorf("envelope = %q -> %q", got.From, got.To)
			}
			p, err := got.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != "Café ☕ is ready" {
				t.Errorf("Subject = %q", p.Subject)
			}
			if raw := p.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?") {
				t.Errorf("raw Subject %q is not RFC 2047 encoded", raw)
			}
			if p.Text != "Hello Ada,\nyour order is ready." {
				t.Errorf("Text = %q", p.Text)
			}
			wantType, wantHTML := "text/plain", ""
			if tt.html {
				wantType, wantHTML = "multipart/alternative", "<p>Hello <b>Ada</b>, your order is ready.</p>"
			}
			if p.ContentType != wantType || p.HTML != wantHTML {
				t.Errorf("ContentType %q HTML %q, want %q %q", p.ContentType, p.HTML, wantType, wantHTML)
			}
			from, err := p.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != "Acme Störe" || from[0].Address != "noreply@acme.test" {
				t.Errorf("From = %v (%v)", from, err)
			}
			for k, want := range map[string]string{
				"To": "<ada@example.com>", "Message-Id": "<orq.del-123@acme.test>",
				"Mime-Version": "1.0", "Date": "Wed, 04 Mar 2026 05:06:07 +0000",
			} {
				if v := p.Header.Get(k); v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestMessageIDStableAcrossRetries(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS})
	s := newSender(t, srv, smtp.Config{})
	for _, id := range []string{"d-1", "d-1", "d-2"} {
		if _, err := s.Send(context.Background(), message(id)); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.WaitMessages(t, 3, 5*time.Second)
	ids := make([]string, 3)
	for i, m := range msgs {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = p.Header.Get("Message-Id")
	}
	if ids[0] != ids[1] || ids[0] == ids[2] {
		t.Fatalf("Message-IDs %q: want first two equal, third different", ids)
	}
}

func TestMessageIDUnsafeDeliveryID(t *testing.T) {
	t.Parallel()
	a := smtp.MessageID("weird id <x>@y", "a@b.test")
	if a != smtp.MessageID("weird id <x>@y", "a@b.test") || strings.ContainsAny(strings.Trim(a, "<>"), "<> ") {
		t.Fatalf("MessageID = %q", a)
	}
}

func TestSubjectCannotInjectHeaders(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, smtp.Config{Security: "none"})
	msg := message("d-inj")
	msg.Subject = "Hi\r\nBcc: victim@example.com"
	if _, err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	p, err := srv.WaitMessages(t, 1, 5*time.Second)[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Header.Get("Bcc") != "" || p.Subject != "Hi Bcc: victim@example.com" {
		t.Fatalf("Subject %q, Bcc %q", p.Subject, p.Header.Get("Bcc"))
	}
}

// silentServer accepts connections and never says anything, like a
// firewall that swallows traffic.
func silentServer(t *testing.T) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return "127.0.0.1", a.Port
}

func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestFailureClassification(t *testing.T) {
	t.Parallel()
	type outcome int
	const (
		transient outcome = iota
		permanent
	)
	tests := []struct {
		name    string
		opts    smtptest.Options
		cfg     smtp.Config
		noTrust bool // do not trust the test certificate
		want    outcome
		wantIn  string
	}{
		{"550 no such user on RCPT", smtptest.Options{RcptError: &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user"}},
			smtp.Config{Security: "none"}, false, permanent, "RCPT TO"},
		{"450 mailbox busy on RCPT", smtptest.Options{RcptError: &gosmtp.SMTPError{Code: 450, EnhancedCode: gosmtp.EnhancedCode{4, 2, 1}, Message: "Mailbox busy"}},
			smtp.Config{Security: "none"}, false, transient, "RCPT TO"},
		{"wrong password", smtptest.Options{Security: smtptest.StartTLS, Username: "u", Password: "right"},
			smtp.Config{Username: "u", Password: "wrong"}, false, permanent, "AUTH"},
		{"connection refused by 421 greeting", smtptest.Options{RefuseConnections: 1},
			smtp.Config{Security: "none"}, false, transient, ""},
		{"implicit tls connection dropped", smtptest.Options{Security: smtptest.ImplicitTLS, RefuseConnections: 1},
			smtp.Config{Security: "tls"}, false, transient, ""},
		{"untrusted certificate", smtptest.Options{Security: smtptest.StartTLS},
			smtp.Config{}, true, permanent, "certificate"},
		{"server without STARTTLS", smtptest.Options{Security: smtptest.Plain},
			smtp.Config{Security: "starttls"}, false, permanent, "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tt.opts)
			cfg := tt.cfg
			cfg.Host, cfg.Port, cfg.From, cfg.TimeoutSeconds = srv.Host(), srv.Port(), "noreply@acme.test", 5
			var opts []smtp.Option
			if !tt.noTrust {
				opts = append(opts, smtp.WithTLSConfig(srv.ClientTLSConfig()))
			}
			s, err := smtp.New(cfg, opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(context.Background(), message("d-fail"))
			if err == nil {
				t.Fatal("Send succeeded, want failure")
			}
			if got := delivery.IsPermanent(err); got != (tt.want == permanent) {
				t.Fatalf("IsPermanent = %v for %v", got, err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not mention %q", err, tt.wantIn)
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "right") {
				t.Errorf("error leaks a password: %v", err)
			}
			if len(srv.Messages()) != 0 {
				t.Errorf("a message was accepted")
			}
		})
	}
}

func TestRecoversAfterRefusedConnections(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, RefuseConnections: 2})
	s := newSender(t, srv, smtp.Config{})
	var errs int
	for range 3 {
		if _, err := s.Send(context.Background(), message("d-retry")); err != nil {
			if delivery.IsPermanent(err) {
				t.Fatalf("refused connection is permanent: %v", err)
			}
			errs++
		}
	}
	if errs != 2 || len(srv.WaitMessages(t, 1, 5*time.Second)) != 1 || srv.Connections() != 3 {
		t.Fatalf("errors %d, messages %d, connections %d; want 2, 1, 3", errs, len(srv.Messages()), srv.Connections())
	}
}

func TestNetworkFailuresAreTransient(t *testing.T) {
	t.Parallel()
	silentHost, silentPort := silentServer(t)
	tests := []struct {
		name string
		host string
		port int
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"connection refused", "127.0.0.1", closedPort(t), nil},
		{"greeting timeout", silentHost, silentPort, nil},
		{"job context deadline", silentHost, silentPort, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := smtp.New(smtp.Config{Host: tt.host, Port: tt.port, Security: "none", From: "a@b.test", TimeoutSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			start := time.Now()
			_, err = s.Send(ctx, message("d-net"))
			if err == nil || delivery.IsPermanent(err) {
				t.Fatalf("err = %v, want transient", err)
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("took %s; timeouts not applied", time.Since(start))
			}
			if tt.ctx != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("cancelled send does not report the context: %v", err)
			}
		})
	}
}

func TestInvalidRecipientIsPermanent(t *testing.T) {
	t.Parallel()
	s, err := smtp.New(smtp.Config{Host: "127.0.0.1", Security: "none", From: "a@b.test"})
	if err != nil {
		t.Fatal(err)
	}
	msg := message("d")
	msg.To = "not an address"
	if _, err := s.Send(context.Background(), msg); !delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  smtp.Config
		want []string // substrings, all must appear; none means valid
	}{
		{"minimal", smtp.Config{Host: "smtp.example.com", From: "a@example.com"}, nil},
		{"everything missing", smtp.Config{}, []string{"host is required", "from is required"}},
		{"auth without tls refused", smtp.Config{Host: "h", From: "a@b.c", Security: "none", Username: "u", Password: "p"},
			[]string{"refusing AUTH without TLS"}},
		{"auth without tls allowed", smtp.Config{Host: "h", From: "a@b.c", Security: "none", Username: "u", Password: "p", AllowInsecureAuth: true}, nil},
		{"many problems at once", smtp.Config{Host: "h", Port: 70000, Security: "ssl", From: "Bob <b@c.d>", Username: "u", AuthMechanism: "cram", TimeoutSeconds: 999},
			[]string{"port", "security", "authMechanism", "password is required", "not a plain email", "timeoutSeconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, nerr := smtp.New(tt.cfg); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}
