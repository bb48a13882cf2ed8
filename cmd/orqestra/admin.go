package main

import (
	"context"
	"fmt"

	"github.com/orqestra/orqestra/internal/admin"
)

func runAdmin(ctx context.Context, e env) error {
	return subcommands(ctx, e, "admin", map[string]func(context.Context, env) error{
		"reset-token": adminResetToken,
	}, "reset-token")
}

// adminResetToken replaces the generated admin UI token, for when the one
// printed on first start is lost. It signs every admin session out.
func adminResetToken(ctx context.Context, e env) error {
	cfg, fs, err := cliSetup(e, "admin reset-token")
	if err != nil {
		return err
	}
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	s, err := openStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	token, err := admin.ResetToken(ctx, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "New admin UI token (shown only this once; every admin session was signed out):\n  %s\n", token)
	if cfg.AdminToken != "" {
		fmt.Fprintln(e.stdout, "Note: ORQESTRA_ADMIN_TOKEN is set, and while it is, it is the token that signs in.")
	}
	return nil
}
