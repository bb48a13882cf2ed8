// Package smtptest runs a real SMTP server (emersion/go-smtp) on 127.0.0.1
// for tests: plain, STARTTLS or implicit TLS with a throwaway self-signed
// certificate, optional AUTH PLAIN/LOGIN, and injectable failures (refused
// connections, RCPT rejections) that can be changed while the test runs, so
// outage and fallback tests can take a server "down" and bring it back.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Security is how clients reach the server.
type Security int

// Security modes.
const (
	Plain       Security = iota // no TLS at all
	StartTLS                    // plaintext greeting, STARTTLS offered
	ImplicitTLS                 // TLS from the first byte (port 465 style)
)

// Options configures a test server.
type Options struct {
	Security Security
	// Username and Password, when Username is set, make the server offer
	// AUTH PLAIN and LOGIN and refuse MAIL before a successful AUTH.
	Username, Password string
	// AllowInsecureAuth offers AUTH on a connection without TLS.
	AllowInsecureAuth bool
	// RefuseConnections makes the first N connections fail: a 421 greeting
	// (or a bare close under implicit TLS) and a hang-up.
	RefuseConnections int
	// RcptError, when set, is the reply to every RCPT TO.
	RcptError *smtp.SMTPError
}

// Message is one message the server accepted.
type Message struct {
	From          string
	To            []string
	Data          []byte // as received, CRLF line endings, dot-unstuffed
	TLS           bool   // the session was encrypted (STARTTLS or implicit)
	AuthUser      string // the authenticated user, "" without AUTH
	AuthMechanism string // "PLAIN" or "LOGIN"
	Helo          string // the client's EHLO name
}

// Server is a running test SMTP server. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	srv     *smtp.Server
	ln      net.Listener
	rootCAs *x509.CertPool

	mu        sync.Mutex
	refuse    int
	rcptErr   *smtp.SMTPError
	conns     int
	messages  []Message
	delivered chan struct{}
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, refuse: opts.RefuseConnections, rcptErr: opts.RcptError, delivered: make(chan struct{}, 1)}

	s.srv = smtp.NewServer(&backend{s: s})
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = opts.AllowInsecureAuth
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.MaxRecipients = 50
	s.srv.ErrorLog = log.New(io.Discard, "", 0)

	var tlsCfg *tls.Config
	if opts.Security != Plain {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
		s.rootCAs = pool
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.srv.TLSConfig = tlsCfg
	}

	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	var ln net.Listener = &refusingListener{Listener: raw, s: s}
	if opts.Security == ImplicitTLS {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.ln = raw
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the server's IP address, "127.0.0.1".
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.Addr()); return h }

// Port is the server's TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// RootCAs trusts the server's self-signed certificate (nil for Plain). Give
// it to the client's tls.Config; the certificate is valid for 127.0.0.1 and
// localhost.
func (s *Server) RootCAs() *x509.CertPool { return s.rootCAs }

// ClientTLSConfig is a client config that trusts this server.
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.rootCAs, MinVersion: tls.VersionTLS12}
}

// RefuseConnections makes the next n connections fail (0 restores service).
func (s *Server) RefuseConnections(n int) { s.mu.Lock(); s.refuse = n; s.mu.Unlock() }

// SetRcptError makes every RCPT TO fail with err (nil accepts again).
func (s *Server) SetRcptError(err *smtp.SMTPError) { s.mu.Lock(); s.rcptErr = err; s.mu.Unlock() }

// Connections is how many connections were accepted, refused ones included.
func (s *Server) Connections() int { s.mu.Lock(); defer s.mu.Unlock(); return s.conns }

// Messages returns a copy of every accepted message, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitMessages waits until at least n messages arrived and returns them, or
// fails the test after timeout.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.delivered:
		case <-deadline.C:
			t.Fatalf("smtptest: %d message(s) after %s, want %d", len(s.Messages()), timeout, n)
			return nil
		}
	}
}

// Close stops the server and drops open connections.
func (s *Server) Close() { _ = s.srv.Close() }

type refusingListener struct {
	net.Listener
	s *Server
}

func (l *refusingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.mu.Lock()
		l.s.conns++
		refuse := l.s.refuse > 0
		if refuse {
			l.s.refuse--
		}
		l.s.mu.Unlock()
		if !refuse {
			return c, nil
		}
		if l.s.opts.Security != ImplicitTLS {
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(c, "421 4.3.2 Service not available, try again later\r\n")
		}
		_ = c.Close()
	}
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: b.s, tls: isTLS, helo: c.Hostname()}, nil
}

type session struct {
	s        *Server
	tls      bool
	helo     string
	authUser string
	authMech string
	from     string
	to       []string
}

var errAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		okUser := subtle.ConstantTimeCompare([]byte(user), []byte(se.s.opts.Username)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(se.s.opts.Password)) == 1
		if !okUser || !okPass {
			return errAuthFailed
		}
		se.authUser, se.authMech = user, mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.Username != "" && se.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	rcptErr := se.s.rcptErr
	se.s.mu.Unlock()
	if rcptErr != nil {
		return rcptErr
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: se.from, To: append([]string(nil), se.to...), Data: data, TLS: se.tls,
		AuthUser: se.authUser, AuthMechanism: se.authMech, Helo: se.helo}
	se.s.mu.Lock()
	se.s.messages = append(se.s.messages, m)
	se.s.mu.Unlock()
	select {
	case se.s.delivered <- struct{}{}:
	default:
	}
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// loginServer is the server side of the obsolete but still common LOGIN
// mechanism, which go-sasl only implements as a client.
type loginServer struct {
	check    func(user, pass string) error
	user     string
	haveUser bool
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case !l.haveUser && response == nil:
		return []byte("Username:"), false, nil
	case !l.haveUser:
		l.user, l.haveUser = string(response), true
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}

// selfSigned makes a short-lived ECDSA certificate for 127.0.0.1/localhost.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Parsed is a received message taken apart for assertions.
type Parsed struct {
	Header  mail.Header
	Subject string // RFC 2047 decoded
	Text    string // the text/plain part, transfer-decoded
	HTML    string // the text/html part, transfer-decoded ("" when absent)
	// ContentType is the top-level media type, e.g. multipart/alternative.
	ContentType string
}

// Parse decodes a message body as sent by an Orqestra SMTP sender: a single
// text/plain part, or multipart/alternative with text/plain and text/html.
func (m Message) Parse() (Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return Parsed{}, fmt.Errorf("smtptest: parse: %w", err)
	}
	p := Parsed{Header: msg.Header}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return p, fmt.Errorf("smtptest: subject: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return p, fmt.Errorf("smtptest: content type: %w", err)
	}
	p.ContentType = mediaType
	if !strings.HasPrefix(mediaType, "multipart/") {
		body, err := decodeBody(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		if err != nil {
			return p, err
		}
		// SMTP DATA ends on a line break that belongs to the transport,
		// not to the text (multipart delimiters swallow theirs already).
		body = strings.TrimSuffix(body, "\n")
		if mediaType == "text/html" {
			p.HTML = body
		} else {
			p.Text = body
		}
		return p, nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return p, fmt.Errorf("smtptest: part: %w", err)
		}
		body, err := decodeBody(part.Header.Get("Content-Transfer-Encoding"), part)
		if err != nil {
			return p, err
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		}
	}
}

func decodeBody(cte string, r io.Reader) (string, error) {
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("smtptest: body: %w", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
