package realtime

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	secret := []byte(strings.Repeat("k", 32))
	tk, err := NewTokens(secret, clock)
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := tk.Issue("ten_1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(2 * time.Hour)) {
		t.Fatalf("expiry %v, want 2h ahead", exp)
	}
	c, err := tk.Verify(tok)
	if err != nil || c.Subject != "alice" || c.Tenant != "ten_1" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}

	now = now.Add(2*time.Hour + time.Minute)
	if _, err := tk.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token: %v", err)
	}
	now = now.Add(-2 * time.Hour)

	other, _ := NewTokens([]byte(strings.Repeat("x", 32)), clock)
	if _, err := other.Verify(tok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token of another key: %v", err)
	}
	// alg=none and HS384 are refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Tenant: "ten_1", RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, err := tk.Verify(none); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("alg none: %v", err)
	}
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, Claims{Tenant: "ten_1", RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}).SignedString(secret)
	if _, err := tk.Verify(hs384); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("HS384: %v", err)
	}
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Tenant: "ten_1", RegisteredClaims: jwt.RegisteredClaims{Subject: "alice"}}).SignedString(secret)
	if _, err := tk.Verify(noExp); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token without exp: %v", err)
	}
	if _, err := NewTokens([]byte("short"), nil); err == nil {
		t.Fatal("short secret accepted")
	}
}
