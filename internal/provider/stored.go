package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

// Limits on a stored provider's descriptive fields.
const (
	maxNameLen  = 100
	MaxPriority = 1000
)

// NewProvider is a provider to add for a tenant, with its plaintext config.
type NewProvider struct {
	TenantID string
	Channel  string // EMAIL or SMS
	Kind     string
	Name     string // default: the kind
	Priority int    // 1 (first) to MaxPriority; 0 means 1
	Active   bool
	Config   json.RawMessage
}

// Check reports every problem with n at once (see Problems): channel,
// kind, name, priority and, when n.Config is not nil, the config itself.
func Check(n NewProvider) error {
	n = n.normal()
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	channelOK := n.Channel == delivery.ChannelEmail || n.Channel == delivery.ChannelSMS
	if !channelOK {
		add("channel must be EMAIL or SMS")
	}
	chans, err := Channels(n.Kind)
	if err != nil {
		problems = append(problems, err)
	} else if channelOK && !Serves(n.Kind, n.Channel) {
		add("kind %s delivers %s, not %s", n.Kind, strings.Join(chans, " and "), n.Channel)
	}
	if utf8.RuneCountInString(n.Name) > maxNameLen || strings.ContainsAny(n.Name, "\r\n\x00") {
		add("name must be one line of at most %d characters", maxNameLen)
	}
	if n.Priority < 1 || n.Priority > MaxPriority {
		add("priority must be between 1 and %d", MaxPriority)
	}
	if err == nil && n.Config != nil {
		if err := Validate(n.Kind, n.Config); err != nil {
			for _, p := range Problems(err) {
				problems = append(problems, errors.New(p))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("provider: %w", errors.Join(problems...))
	}
	return nil
}

func (n NewProvider) normal() NewProvider {
	n.Channel = strings.ToUpper(strings.TrimSpace(n.Channel))
	n.Kind = strings.ToLower(strings.TrimSpace(n.Kind))
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		n.Name = n.Kind
	}
	if n.Priority == 0 {
		n.Priority = 1
	}
	return n
}

// Add validates n (see Check), seals its config bound to the tenant and
// the new provider id, and stores it.
func Add(ctx context.Context, s *store.Store, box *secret.Box, n NewProvider, now time.Time) (store.Provider, error) {
	if n.Config == nil {
		n.Config = json.RawMessage("null")
	}
	if err := Check(n); err != nil {
		return store.Provider{}, err
	}
	n = n.normal()
	p := store.Provider{
		ID: "prv_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20], TenantID: n.TenantID, Channel: n.Channel, Kind: n.Kind,
		Name: n.Name, Priority: n.Priority, Active: n.Active, CreatedAt: now, UpdatedAt: now,
	}
	sealed, err := box.Seal(n.Config, secret.AssociatedData(p.TenantID, p.ID))
	if err != nil {
		return store.Provider{}, fmt.Errorf("provider: %w", err)
	}
	p.ConfigSealed = sealed
	if err := s.CreateProvider(ctx, p); err != nil {
		return store.Provider{}, err
	}
	return p, nil
}

// OpenConfig returns a stored provider's plaintext JSON config. Keep it in
// memory only: never log it or send it anywhere; use Mask for display.
func OpenConfig(box *secret.Box, p store.Provider) ([]byte, error) {
	plain, err := box.Open(p.ConfigSealed, secret.AssociatedData(p.TenantID, p.ID))
	if err != nil {
		return nil, fmt.Errorf("provider %s: config: %w", p.ID, err)
	}
	return plain, nil
}

// MaskedConfig is a stored provider's config for display, secrets masked.
func MaskedConfig(box *secret.Box, p store.Provider) (json.RawMessage, error) {
	plain, err := OpenConfig(box, p)
	if err != nil {
		return nil, err
	}
	return Mask(p.Kind, plain)
}

// BuildStored opens a stored provider's config and builds its Sender.
func BuildStored(box *secret.Box, p store.Provider, opts Options) (delivery.Sender, error) {
	plain, err := OpenConfig(box, p)
	if err != nil {
		return nil, err
	}
	s, err := Build(p.Kind, plain, opts)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", p.ID, err)
	}
	return s, nil
}
