package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/store"
)

func runAPIKey(ctx context.Context, e env) error {
	return subcommands(ctx, e, "apikey", map[string]func(context.Context, env) error{
		"create": apikeyCreate,
		"list":   apikeyList,
		"revoke": apikeyRevoke,
	}, "create|list|revoke")
}

func apikeyCreate(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "apikey create")
	if err != nil {
		return err
	}
	name := fs.String("name", "", "a label for the key, e.g. \"billing service\"")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	key, rec, err := access.NewKey(t.ID, *name, time.Now())
	if err != nil {
		return err
	}
	if err := s.CreateAPIKey(ctx, rec); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]string{"id": rec.ID, "tenantId": t.ID, "name": rec.Name, "apiKey": key})
	}
	fmt.Fprintf(e.stdout, "API key %s created for tenant %s:\n  %s\n\nIt is shown only this once.\n", rec.ID, t.ID, key)
	return nil
}

func apikeyList(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "apikey list")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	keys, err := s.APIKeys(ctx, t.ID)
	if err != nil {
		return err
	}
	ts := func(p *time.Time) string {
		if p == nil {
			return "-"
		}
		return p.Format(time.RFC3339)
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(keys))
		for _, k := range keys {
			out = append(out, map[string]any{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "createdAt": k.CreatedAt.Format(time.RFC3339),
				"revokedAt": ts(k.RevokedAt), "lastUsedAt": ts(k.LastUsedAt), "active": k.RevokedAt == nil})
		}
		return printJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.CreatedAt.Format(time.RFC3339), ts(k.LastUsedAt), ts(k.RevokedAt))
	}
	return tw.Flush()
}

func apikeyRevoke(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "apikey revoke")
	if err != nil {
		return err
	}
	keyID := fs.String("key", "", "key id from \"apikey list\" (required)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := required(e, "key", *keyID); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokeAPIKey(ctx, t.ID, *keyID, time.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("key %q not found for tenant %s", *keyID, t.ID)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "API key %s revoked; it stops working within a second or two.\n", *keyID)
	return nil
}
