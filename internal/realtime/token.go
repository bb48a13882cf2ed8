// Package realtime runs the embedded centrifuge node that browsers connect to
// at /connection/websocket, issues the HS256 tokens they connect with, and
// publishes in-app notifications on users' personal channels.
package realtime

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTokenTTL is how long a realtime (user) token is valid: the seed's 2 hours.
const DefaultTokenTTL = 2 * time.Hour

// ErrTokenExpired is returned by Verify for a well-signed but expired token.
var ErrTokenExpired = errors.New("token expired")

// ErrTokenInvalid is returned by Verify for any other bad token.
var ErrTokenInvalid = errors.New("invalid token")

// Channel is a user's personal channel. The part after '#' is the user id;
// the server allows only that user to subscribe (Centrifugo's rule for '#').
func Channel(tenantID, userID string) string {
	return "notifications:" + tenantID + "#" + userID
}

// Claims are the JWT claims of a user token: sub is the user id.
type Claims struct {
	Tenant string `json:"tenant"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies user tokens. One token serves both the WebSocket
// connection and, as a Bearer token, the user's own history and mark-read calls.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens returns Tokens signing with secret (at least 32 bytes), valid for
// DefaultTokenTTL. now may be nil (time.Now).
func NewTokens(secret []byte, now func() time.Time) (*Tokens, error) {
	if len(secret) < 32 {
		return nil, errors.New("realtime: token secret must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{secret: secret, ttl: DefaultTokenTTL, now: now}, nil
}

// WithTTL returns a copy of t issuing tokens valid for ttl.
func (t *Tokens) WithTTL(ttl time.Duration) *Tokens {
	c := *t
	c.ttl = ttl
	return &c
}

// Issue returns a token for userID of tenantID.
func (t *Tokens) Issue(tenantID, userID string) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.ttl)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{
		Tenant: tenantID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
	s, err := tok.SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("realtime: sign token: %w", err)
	}
	return s, exp, nil
}

// Verify checks a token and returns its tenant, user and expiry.
func (t *Tokens) Verify(token string) (Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.now), jwt.WithLeeway(5*time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrTokenExpired
	case err != nil:
		return Claims{}, ErrTokenInvalid
	case c.Subject == "" || c.Tenant == "":
		return Claims{}, ErrTokenInvalid
	}
	return c, nil
}
