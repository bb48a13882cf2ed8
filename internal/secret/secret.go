// Package secret seals provider credentials at rest with AES-256-GCM, so a
// copy of the database alone does not give away SMTP passwords or API keys.
//
// The key comes from ORQESTRA_SECRET_KEY (base64 or hex, 32 bytes); main
// parses it with ParseKey and builds one Box. Every sealed blob is bound to
// associated data (use AssociatedData with the tenant and provider id), so a
// blob copied into another tenant's or provider's row fails to open instead of
// silently handing over someone else's credentials.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length in bytes: AES-256.
const KeySize = 32

// versionPrefix starts every sealed string. A new format (another cipher, key
// rotation with a key id) gets a new prefix and Open keeps reading old ones.
const versionPrefix = "v1:"

// ErrMalformed means the sealed string is not something Seal produced.
var ErrMalformed = errors.New("secret: malformed sealed value")

// ErrOpen means authentication failed: the wrong key, other associated data
// (a blob moved between rows), or a tampered blob. GCM cannot tell these apart.
var ErrOpen = errors.New("secret: cannot open sealed value (wrong key, wrong owner or tampered)")

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to associatedData and returns
// "v1:" + base64url(nonce || ciphertext || tag). The nonce is random, so
// sealing the same value twice gives different strings.
func (b *Box) Seal(plaintext, associatedData []byte) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, plaintext, associatedData)
	return versionPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value from Seal. associatedData must equal what was given
// to Seal; otherwise Open returns ErrOpen.
func (b *Box) Open(sealed string, associatedData []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, versionPrefix)
	if !ok {
		return nil, ErrMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, ErrMalformed
	}
	ns := b.aead.NonceSize()
	if len(raw) < ns+b.aead.Overhead() {
		return nil, ErrMalformed
	}
	plain, err := b.aead.Open(nil, raw[:ns], raw[ns:], associatedData)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// IsSealed reports whether s looks like a value from Seal; useful when
// migrating rows that still hold plaintext.
func IsSealed(s string) bool { return strings.HasPrefix(s, versionPrefix) }

// AssociatedData binds a sealed provider config to its tenant and provider
// row. Each part is length-prefixed so ("ab","c") and ("a","bc") differ.
func AssociatedData(tenantID, providerID string) []byte {
	const label = "orqestra/provider-config"
	out := make([]byte, 0, len(label)+len(tenantID)+len(providerID)+12)
	for _, part := range []string{label, tenantID, providerID} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(part)))
		out = append(out, part...)
	}
	return out
}

// ParseKey decodes a 32-byte key written as hex (64 characters) or base64
// (standard or URL alphabet, padded or not). Surrounding spaces are ignored so
// a key pasted from a file with a trailing newline still works.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secret: key is empty")
	}
	if len(s) == hex.EncodedLen(KeySize) {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		k, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("secret: key decodes to %d bytes, want %d", len(k), KeySize)
		}
		return k, nil
	}
	return nil, fmt.Errorf("secret: key is neither %d hex characters nor base64 of %d bytes", hex.EncodedLen(KeySize), KeySize)
}

// GenerateKey returns a new random key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	// crypto/rand.Read never returns an error (it crashes the program if the
	// system source fails), so there is nothing to report.
	_, _ = rand.Read(k)
	return k
}

// EncodeKey formats a key as standard base64, the form printed for
// ORQESTRA_SECRET_KEY.
func EncodeKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// Mask shows a secret for display: bullets plus at most its last four
// characters, and only when the secret is long enough (12+) that four
// characters give little away. An empty secret stays empty so "not set" is
// visible.
func Mask(s string) string {
	const bullets = "••••"
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) < 12 {
		return bullets
	}
	return bullets + string(r[len(r)-4:])
}
