package dispatch

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/render"
	"github.com/orqestra/orqestra/internal/store"
)

// compiled is a parsed template for one event type and channel.
type compiled struct {
	category string
	title    *render.Template
	subject  *render.Template
	body     *render.Template
	html     *render.Template // nil without HTML
}

func compile(t store.Template) *compiled {
	c := &compiled{
		category: t.Category,
		title:    render.Parse(t.Title),
		subject:  render.Parse(t.Subject),
		body:     render.Parse(t.Body),
	}
	if t.HTML != "" {
		c.html = render.Parse(t.HTML)
	}
	return c
}

type templateKey struct{ eventType, channel string }

// builtins are the templates every tenant has for global.* event types, so a
// new tenant can send global.info at once. A tenant's own active template for
// the same event type and channel wins.
var builtins = map[string]*compiled{
	delivery.ChannelPush: compile(store.Template{Title: "{{title}}", Body: "{{message}}"}),
	delivery.ChannelEmail: compile(store.Template{Subject: "{{title}}", Body: "{{message}}",
		HTML: `<!doctype html><html><body style="font-family:sans-serif"><h2>{{title}}</h2><p>{{message}}</p></body></html>`}),
	delivery.ChannelSMS: compile(store.Template{Body: "{{title}}: {{message}}"}),
}

// templateCache keeps each tenant's active templates for a short TTL, so the
// trigger path reads the database about once per TTL per tenant, and template
// changes made by another process apply within TTL.
type templateCache struct {
	store *store.Store
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	tenants map[string]*tenantTemplates
}

type tenantTemplates struct {
	loaded    time.Time
	templates map[templateKey]*compiled
}

func (c *templateCache) lookup(ctx context.Context, tenantID, eventType, channel string) (*compiled, error) {
	now := c.now()
	c.mu.Lock()
	tt := c.tenants[tenantID]
	c.mu.Unlock()
	if tt == nil || now.Sub(tt.loaded) > c.ttl {
		list, err := c.store.ActiveTemplates(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		tt = &tenantTemplates{loaded: now, templates: make(map[templateKey]*compiled, len(list))}
		for _, t := range list {
			tt.templates[templateKey{t.EventType, t.Channel}] = compile(t)
		}
		c.mu.Lock()
		c.tenants[tenantID] = tt
		c.mu.Unlock()
	}
	if t := tt.templates[templateKey{eventType, channel}]; t != nil {
		return t, nil
	}
	if strings.HasPrefix(eventType, "global.") {
		b := *builtins[channel]
		b.category = strings.TrimPrefix(eventType, "global.")
		return &b, nil
	}
	return nil, nil
}

func (c *templateCache) forget(tenantID string) {
	c.mu.Lock()
	delete(c.tenants, tenantID)
	c.mu.Unlock()
}
