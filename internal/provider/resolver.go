package provider

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

// OutboxName is the provider name (and id) recorded on deliveries that went
// to the outbox because the tenant has no active provider for the channel.
const OutboxName = "outbox"

// Resolver gives the delivery worker a tenant's senders for a channel: its
// active providers in priority order, or the outbox when it has none, so a
// fresh install delivers somewhere visible without configuration.
//
// Built senders are kept per provider and rebuilt when the row's updated_at
// changes (HTTP senders keep their connection pools that way); the list of a
// tenant's providers is cached for TTL, so a change made by the CLI or the
// admin UI applies within TTL.
type Resolver struct {
	store  *store.Store
	box    *secret.Box
	outbox delivery.Sender
	opts   Options
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex
	routes map[route]cachedRoute
	built  map[string]builtSender // by provider id
}

type route struct{ tenantID, channel string }

type cachedRoute struct {
	senders []delivery.NamedSender
	expires time.Time
}

type builtSender struct {
	route     route
	updatedAt time.Time
	sender    delivery.Sender
}

// ResolverConfig holds the Resolver's dependencies.
type ResolverConfig struct {
	Store *store.Store
	Box   *secret.Box
	// Outbox receives deliveries of tenants without a provider for the channel.
	Outbox delivery.Sender
	// Options are passed to Build (tests inject TLS roots and HTTP clients).
	Options Options
	// TTL is how long a tenant's provider list is reused; 0 reads it on
	// every delivery.
	TTL time.Duration
	Now func() time.Time
	Log *slog.Logger
}

// NewResolver returns a Resolver.
func NewResolver(c ResolverConfig) *Resolver {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{store: c.Store, box: c.Box, outbox: c.Outbox, opts: c.Options, ttl: c.TTL, now: c.Now, log: c.Log,
		routes: map[route]cachedRoute{}, built: map[string]builtSender{}}
}

// Senders implements delivery.Senders.
func (r *Resolver) Senders(ctx context.Context, tenantID, channel string) ([]delivery.NamedSender, error) {
	key := route{tenantID, channel}
	now := r.now()
	if r.ttl > 0 {
		r.mu.Lock()
		c, ok := r.routes[key]
		r.mu.Unlock()
		if ok && now.Before(c.expires) {
			return c.senders, nil
		}
	}
	rows, err := r.store.ActiveProviders(ctx, tenantID, channel)
	if err != nil {
		return nil, fmt.Errorf("provider: resolve: %w", err)
	}
	if len(rows) == 0 {
		out := []delivery.NamedSender{{ID: OutboxName, Name: OutboxName, Sender: r.outbox}}
		r.remember(key, out, nil, now)
		return out, nil
	}
	out := make([]delivery.NamedSender, 0, len(rows))
	r.mu.Lock()
	for _, p := range rows {
		b, ok := r.built[p.ID]
		if !ok || !b.updatedAt.Equal(p.UpdatedAt) {
			s, err := BuildStored(r.box, p, r.opts)
			if err != nil {
				// A config that no longer opens (the key changed) or no
				// longer builds fails this provider permanently, so the
				// next one in priority order still gets the delivery.
				r.log.ErrorContext(ctx, "provider unusable", "tenant_id", tenantID, "provider_id", p.ID, "kind", p.Kind, "err", err)
				s = unusable{err: delivery.Permanentf("provider %s (%s) cannot be used: %v", p.Name, p.ID, err)}
			}
			b = builtSender{route: key, updatedAt: p.UpdatedAt, sender: s}
			r.built[p.ID] = b
		}
		out = append(out, delivery.NamedSender{ID: p.ID, Name: p.Name, Sender: b.sender})
	}
	r.mu.Unlock()
	r.remember(key, out, rows, now)
	return out, nil
}

// remember caches a route and forgets built senders of that route whose
// provider is gone or inactive.
func (r *Resolver) remember(key route, senders []delivery.NamedSender, rows []store.Provider, now time.Time) {
	live := make(map[string]bool, len(rows))
	for _, p := range rows {
		live[p.ID] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, b := range r.built {
		if b.route == key && !live[id] {
			delete(r.built, id)
		}
	}
	if r.ttl > 0 {
		r.routes[key] = cachedRoute{senders: senders, expires: now.Add(r.ttl)}
	}
}

// unusable stands in for a provider whose stored config cannot be built.
type unusable struct{ err error }

func (u unusable) Send(context.Context, delivery.Message) (delivery.Receipt, error) {
	return delivery.Receipt{}, u.err
}
