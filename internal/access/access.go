// Package access creates and checks tenants' API keys, with a short-lived
// in-process cache so the trigger path does not query the database for every
// request.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/store"
)

// KeyPrefix starts every API key, so leaked keys are easy to recognise.
const KeyPrefix = "orq_"

// ErrInvalidKey means the key is missing, unknown, revoked, or its tenant is inactive.
var ErrInvalidKey = errors.New("invalid or inactive API key")

// NewKey returns a new random API key and the record to store for it (hash and
// display prefix only: the key itself is shown once and never stored).
func NewKey(tenantID, name string, now time.Time) (string, store.APIKey, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", store.APIKey{}, fmt.Errorf("access: new key: %w", err)
	}
	key := KeyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return key, store.APIKey{
		ID:        "key_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16],
		TenantID:  tenantID,
		Name:      name,
		Hash:      HashKey(key),
		Prefix:    key[:len(KeyPrefix)+6],
		CreatedAt: now,
	}, nil
}

// HashKey is how keys are stored and looked up: hex SHA-256. Keys carry 256
// bits of randomness, so a fast unsalted hash is enough.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Directory resolves API keys to tenants, caching answers (including misses)
// for TTL. A revoked key or a disabled tenant therefore stops working within
// TTL, also when the change was made by another process.
type Directory struct {
	store *store.Store
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	tenant  store.Tenant
	keyID   string
	err     error
	expires time.Time
}

// NewDirectory returns a Directory over s. now may be nil (time.Now).
func NewDirectory(s *store.Store, ttl time.Duration, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{store: s, ttl: ttl, now: now, entries: map[string]entry{}}
}

// Authenticate returns the active tenant owning key, or ErrInvalidKey.
func (d *Directory) Authenticate(ctx context.Context, key string) (store.Tenant, error) {
	if key == "" || len(key) > 256 {
		return store.Tenant{}, ErrInvalidKey
	}
	h := HashKey(key)
	now := d.now()
	d.mu.Lock()
	e, ok := d.entries[h]
	d.mu.Unlock()
	if !ok || now.After(e.expires) {
		e = d.load(ctx, h, now)
		if e.err != nil && !errors.Is(e.err, ErrInvalidKey) {
			return store.Tenant{}, e.err // a database problem: do not cache
		}
		d.mu.Lock()
		if len(d.entries) > 100_000 {
			clear(d.entries) // bound memory under a flood of random keys
		}
		d.entries[h] = e
		d.mu.Unlock()
	}
	if e.err != nil {
		return store.Tenant{}, e.err
	}
	return e.tenant, nil
}

func (d *Directory) load(ctx context.Context, hash string, now time.Time) entry {
	t, k, err := d.store.TenantByKeyHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return entry{err: ErrInvalidKey, expires: now.Add(d.ttl)}
	case err != nil:
		return entry{err: err}
	case !t.Active:
		return entry{err: ErrInvalidKey, expires: now.Add(d.ttl)}
	}
	// Recording last use costs a write, so it happens at most once per TTL
	// per key, off the request's path.
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = d.store.TouchAPIKey(ctx, k.ID, now)
	}()
	return entry{tenant: t, keyID: k.ID, expires: now.Add(d.ttl)}
}

// Forget drops every cached answer, so changes made in this process apply at once.
func (d *Directory) Forget() {
	d.mu.Lock()
	clear(d.entries)
	d.mu.Unlock()
}

// NewTenant is what creating a tenant takes.
type NewTenant struct {
	Name          string
	WebhookSecret string
	RateLimit     int // per minute; 0 means unlimited
	CORSOrigins   []string
}

// DefaultRateLimit is the trigger limit per minute of a new tenant.
const DefaultRateLimit = 100

// CreateTenant stores a new active tenant with its first API key and returns
// both; the key is returned only here.
func CreateTenant(ctx context.Context, s *store.Store, n NewTenant, now time.Time) (store.Tenant, string, error) {
	name := strings.TrimSpace(n.Name)
	if name == "" || len(name) > 200 {
		return store.Tenant{}, "", errors.New("access: tenant name must be 1 to 200 characters")
	}
	if n.RateLimit < 0 {
		return store.Tenant{}, "", errors.New("access: rate limit must be 0 (unlimited) or more")
	}
	t := store.Tenant{
		ID:            "ten_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20],
		Name:          name,
		Active:        true,
		WebhookSecret: n.WebhookSecret,
		RateLimit:     n.RateLimit,
		CORSOrigins:   n.CORSOrigins,
		CreatedAt:     now,
	}
	key, rec, err := NewKey(t.ID, "default", now)
	if err != nil {
		return store.Tenant{}, "", err
	}
	if err := s.CreateTenantWithKey(ctx, t, rec); err != nil {
		return store.Tenant{}, "", err
	}
	return t, key, nil
}
