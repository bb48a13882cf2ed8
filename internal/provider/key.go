package provider

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

// keySetting is where a generated secret key is kept when
// ORQESTRA_SECRET_KEY is not set.
const keySetting = "secret_key"

// LoadKey returns the Box that seals provider configs. configured is
// ORQESTRA_SECRET_KEY (base64 or hex, 32 bytes). When it is empty, the key
// generated on first start and stored in the database is used (and created
// if absent), so the embedded default works without setup; that key sits
// next to what it protects, so LoadKey warns. The engine and the CLI both
// call LoadKey, which is what makes them agree on the key.
func LoadKey(ctx context.Context, s *store.Store, configured string, log *slog.Logger) (*secret.Box, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(configured) != "" {
		key, err := secret.ParseKey(configured)
		if err != nil {
			return nil, fmt.Errorf("ORQESTRA_SECRET_KEY: %w", err)
		}
		stored, err := s.Setting(ctx, keySetting)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("provider: secret key: %w", err)
		default:
			if old, perr := secret.ParseKey(stored); perr == nil && subtle.ConstantTimeCompare(old, key) != 1 {
				log.WarnContext(ctx, "ORQESTRA_SECRET_KEY differs from the key generated on an earlier start (settings table, key "+keySetting+"): "+
					"providers added before ORQESTRA_SECRET_KEY was set cannot be opened; set ORQESTRA_SECRET_KEY to that stored key, or add those providers again")
			}
		}
		return secret.NewBox(key)
	}
	stored, err := s.EnsureSetting(ctx, keySetting, secret.EncodeKey(secret.GenerateKey()))
	if err != nil {
		return nil, fmt.Errorf("provider: secret key: %w", err)
	}
	log.WarnContext(ctx, "ORQESTRA_SECRET_KEY is not set: provider credentials are sealed with a key generated on first start and kept in the same database, "+
		"so a copy of the database gives them away; in production set ORQESTRA_SECRET_KEY (32 random bytes, e.g. `openssl rand -base64 32`) "+
		"to the key stored in the settings table under "+keySetting+" (or to a new key and add providers again)")
	key, err := secret.ParseKey(stored)
	if err != nil {
		return nil, fmt.Errorf("provider: stored secret key: %w", err)
	}
	return secret.NewBox(key)
}
