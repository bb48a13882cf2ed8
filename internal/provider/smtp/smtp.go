// Package smtp delivers EMAIL through an SMTP submission server: plain,
// STARTTLS or implicit TLS, with optional AUTH PLAIN or LOGIN.
//
// The Message-ID is derived from the delivery id, so a retried delivery
// carries the same id and receiving systems (and people) can recognise a
// duplicate if a retry follows a send whose success we never heard about.
package smtp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/orqestra/orqestra/internal/delivery"
)

// Security modes for Config.Security.
const (
	SecurityStartTLS = "starttls" // plaintext connect, then STARTTLS (required); port 587
	SecurityTLS      = "tls"      // TLS from the first byte; port 465
	SecurityNone     = "none"     // no encryption; only for local relays
)

// AUTH mechanisms for Config.AuthMechanism.
const (
	AuthPlain = "plain"
	AuthLogin = "login"
)

// DefaultTimeout bounds connecting and each SMTP command when the config
// names no timeout.
const DefaultTimeout = 15 * time.Second

// Config is one SMTP provider's settings, as stored (sealed) per tenant.
type Config struct {
	// Host is the SMTP server name; also the name its TLS certificate must carry.
	Host string `json:"host"`
	// Port defaults by Security: 587 for starttls, 465 for tls, 25 for none.
	Port int `json:"port,omitempty"`
	// Security is "starttls" (default), "tls" or "none".
	Security string `json:"security,omitempty"`
	// Username turns on AUTH; Password is its secret.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// AuthMechanism is "plain" or "login"; empty picks PLAIN when the
	// server offers it, else LOGIN.
	AuthMechanism string `json:"authMechanism,omitempty"`
	// AllowInsecureAuth permits AUTH with Security "none", which sends the
	// password in clear text. Only for a relay on a trusted network.
	AllowInsecureAuth bool `json:"allowInsecureAuth,omitempty"`
	// From is the sender address; FromName its display name.
	From     string `json:"from"`
	FromName string `json:"fromName,omitempty"`
	// ReplyTo, when set, becomes the Reply-To header.
	ReplyTo string `json:"replyTo,omitempty"`
	// HeloName is the name sent in EHLO; default "localhost".
	HeloName string `json:"heloName,omitempty"`
	// TimeoutSeconds bounds connecting and each command (default 15, max 120).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

func (c Config) withDefaults() Config {
	c.Host = strings.TrimSpace(c.Host)
	c.Security = strings.ToLower(strings.TrimSpace(c.Security))
	if c.Security == "" {
		c.Security = SecurityStartTLS
	}
	c.AuthMechanism = strings.ToLower(strings.TrimSpace(c.AuthMechanism))
	if c.Port == 0 {
		switch c.Security {
		case SecurityTLS:
			c.Port = 465
		case SecurityNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.HeloName == "" {
		c.HeloName = "localhost"
	}
	if c.TimeoutSeconds == 0 {
		c.TimeoutSeconds = int(DefaultTimeout / time.Second)
	}
	return c
}

// Validate reports every problem with the config at once (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if c.Host == "" {
		add("host is required")
	} else if strings.ContainsAny(c.Host, " /\r\n") {
		add("host %q is not a host name", c.Host)
	}
	if c.Port < 1 || c.Port > 65535 {
		add("port must be between 1 and 65535")
	}
	if !slices.Contains([]string{SecurityStartTLS, SecurityTLS, SecurityNone}, c.Security) {
		add("security must be one of starttls, tls, none")
	}
	if c.AuthMechanism != "" && c.AuthMechanism != AuthPlain && c.AuthMechanism != AuthLogin {
		add("authMechanism must be plain or login")
	}
	if c.Username != "" && c.Password == "" {
		add("password is required when username is set")
	}
	if c.Username == "" && c.Password != "" {
		add("username is required when password is set")
	}
	if c.Username != "" && c.Security == SecurityNone && !c.AllowInsecureAuth {
		add("refusing AUTH without TLS: use security starttls or tls, or set allowInsecureAuth")
	}
	if c.From == "" {
		add("from is required")
	} else if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" {
		add("from %q is not a plain email address (put the display name in fromName)", c.From)
	}
	if strings.ContainsAny(c.FromName, "\r\n") {
		add("fromName must be one line")
	}
	if c.ReplyTo != "" {
		if _, err := mail.ParseAddress(c.ReplyTo); err != nil {
			add("replyTo %q is not an email address", c.ReplyTo)
		}
	}
	if strings.ContainsAny(c.HeloName, " \r\n") {
		add("heloName must be a single word")
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 120 {
		add("timeoutSeconds must be between 1 and 120")
	}
	if len(problems) > 0 {
		return fmt.Errorf("smtp config: %w", errors.Join(problems...))
	}
	return nil
}

// Option adjusts a Sender beyond its stored config.
type Option func(*Sender)

// WithTLSConfig sets the base TLS client config (for example RootCAs that
// trust a test server). ServerName is always set to the config's Host.
func WithTLSConfig(cfg *tls.Config) Option { return func(s *Sender) { s.tlsBase = cfg } }

// WithClock sets the clock used for the Date header.
func WithClock(now func() time.Time) Option { return func(s *Sender) { s.now = now } }

// Sender sends email through one SMTP server. It holds no connection between
// sends, so it is safe for concurrent use.
type Sender struct {
	cfg     Config
	from    mail.Address
	timeout time.Duration
	tlsBase *tls.Config
	now     func() time.Time
}

// New validates cfg and returns a Sender.
func New(cfg Config, opts ...Option) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Sender{
		cfg:     cfg,
		from:    mail.Address{Name: cfg.FromName, Address: cfg.From},
		timeout: time.Duration(cfg.TimeoutSeconds) * time.Second,
		now:     time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Send delivers msg to msg.To. SMTP 5xx replies are permanent, 4xx replies
// and network failures (refused, reset, timeout) are transient.
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil || to.Address == "" {
		return delivery.Receipt{}, delivery.Permanentf("smtp: invalid recipient %q", msg.To)
	}
	msgID := MessageID(msg.DeliveryID, s.cfg.From)
	body, err := s.render(msg, to.Address, msgID)
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("smtp: render: %w", err))
	}
	if err := s.transmit(ctx, to.Address, body); err != nil {
		return delivery.Receipt{}, err
	}
	return delivery.Receipt{ProviderMessageID: strings.Trim(msgID, "<>")}, nil
}

func (s *Sender) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsBase != nil {
		cfg = s.tlsBase.Clone()
	}
	cfg.ServerName = s.cfg.Host
	return cfg
}

// transmit runs one SMTP session. Every step's error is classified on the
// way out.
func (s *Sender) transmit(ctx context.Context, rcpt string, body []byte) (err error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	dialer := &net.Dialer{Timeout: s.timeout}
	var conn net.Conn
	if s.cfg.Security == SecurityTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return classify("connect", err)
	}
	// go-smtp sets its own deadlines per command; closing the connection is
	// the one way to make a cancelled job stop waiting on the server.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	var c *gosmtp.Client
	if s.cfg.Security == SecurityStartTLS {
		// NewClientStartTLS greets with EHLO localhost, upgrades, then our
		// Hello below names us on the encrypted session.
		c, err = gosmtp.NewClientStartTLS(conn, s.tlsConfig())
		if err != nil {
			_ = conn.Close()
			return classify("starttls", ctxErr(ctx, err))
		}
	} else {
		c = gosmtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout = s.timeout
	c.SubmissionTimeout = 2 * s.timeout

	step := func(name string, err error) error {
		if err == nil {
			return nil
		}
		return classify(name, ctxErr(ctx, err))
	}
	if err := step("EHLO", c.Hello(s.cfg.HeloName)); err != nil {
		return err
	}
	if s.cfg.Username != "" {
		if err := s.auth(c); err != nil {
			return step("AUTH", err)
		}
	}
	var mailOpts *gosmtp.MailOptions
	if !isASCII(s.cfg.From) || !isASCII(rcpt) {
		mailOpts = &gosmtp.MailOptions{UTF8: true}
	}
	if err := step("MAIL FROM", c.Mail(s.cfg.From, mailOpts)); err != nil {
		return err
	}
	if err := step("RCPT TO", c.Rcpt(rcpt, nil)); err != nil {
		return err
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return step("DATA", err)
	}
	if err := step("end of DATA", w.Close()); err != nil {
		return err
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

func (s *Sender) auth(c *gosmtp.Client) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !s.cfg.AllowInsecureAuth {
		return delivery.Permanentf("refusing to send credentials over an unencrypted connection")
	}
	mech := s.cfg.AuthMechanism
	if mech == "" {
		switch {
		case c.SupportsAuth(sasl.Plain):
			mech = AuthPlain
		case c.SupportsAuth(sasl.Login):
			mech = AuthLogin
		default:
			return delivery.Permanentf("server offers neither AUTH PLAIN nor LOGIN")
		}
	}
	var client sasl.Client
	if mech == AuthLogin {
		client = sasl.NewLoginClient(s.cfg.Username, s.cfg.Password)
	} else {
		client = sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)
	}
	return c.Auth(client)
}

// ctxErr prefers the context's error when the job was cancelled or timed
// out, so the cause reads "context deadline exceeded" and not "use of closed
// network connection".
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// classify wraps err with the SMTP step and marks what will not heal on
// retry as permanent.
func classify(step string, err error) error {
	wrapped := fmt.Errorf("smtp %s: %w", step, err)
	var smtpErr *gosmtp.SMTPError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case delivery.IsPermanent(err):
		return fmt.Errorf("smtp %s: %w", step, err)
	case errors.As(err, &smtpErr):
		if smtpErr.Code >= 500 {
			return delivery.Permanent(wrapped)
		}
		return wrapped
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		// The server's certificate is not trusted for this host: a config
		// or server problem that a retry will not fix.
		return delivery.Permanent(wrapped)
	case strings.Contains(err.Error(), "doesn't support STARTTLS"):
		// go-smtp reports this as a bare string error. Sending without the
		// TLS the config asks for is not an option, so this is permanent.
		return delivery.Permanent(wrapped)
	default:
		// Refused or reset connections, timeouts, EOF mid-session, DNS
		// failures: the server may be back on the next attempt.
		return wrapped
	}
}

// MessageID returns the Message-ID for a delivery: stable for the same
// delivery id and sender domain, so a retry reuses it. Ids that are not safe
// inside a msg-id are hashed.
func MessageID(deliveryID, from string) string {
	domain := "orqestra.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	local := deliveryID
	if local == "" || strings.IndexFunc(local, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
	}) >= 0 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		sum := sha256.Sum256([]byte(deliveryID))
		local = hex.EncodeToString(sum[:16])
	}
	return "<orq." + local + "@" + domain + ">"
}

// render builds the RFC 5322 message: text only, or multipart/alternative
// with text then HTML, each quoted-printable so any UTF-8 and long line is
// safe on any server.
func (s *Sender) render(msg delivery.Message, to, msgID string) ([]byte, error) {
	var buf bytes.Buffer
	h := make(textproto.MIMEHeader)
	write := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	write("From", s.from.String())
	write("To", (&mail.Address{Address: to}).String())
	if s.cfg.ReplyTo != "" {
		if a, err := mail.ParseAddress(s.cfg.ReplyTo); err == nil {
			write("Reply-To", a.String())
		}
	}
	write("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject)))
	write("Date", s.now().Format(time.RFC1123Z))
	write("Message-ID", msgID)
	write("MIME-Version", "1.0")
	// RFC 3834: tell auto-responders not to answer notification mail.
	write("Auto-Submitted", "auto-generated")

	text := msg.Text
	if msg.HTML == "" {
		write("Content-Type", `text/plain; charset="utf-8"`)
		write("Content-Transfer-Encoding", "quoted-printable")
		buf.WriteString("\r\n")
		if err := writeQP(&buf, text); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mw := multipart.NewWriter(&buf)
	write("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", msg.HTML}} {
		clear(h)
		h.Set("Content-Type", part.typ+`; charset="utf-8"`)
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if err := writeQP(pw, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	buf.WriteString("\r\n")
	return buf.Bytes(), nil
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, strings.ReplaceAll(s, "\r\n", "\n")); err != nil {
		return err
	}
	return qp.Close()
}

// oneLine keeps a header value on one line: a CR or LF in a rendered
// subject must never start a new header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
