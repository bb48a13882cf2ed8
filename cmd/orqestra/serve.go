package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/engine"
	"github.com/orqestra/orqestra/internal/store"
	"github.com/orqestra/orqestra/internal/trace"
)

func runServe(ctx context.Context, e env) error {
	cfg, err := config.FromEnv(e.getenv)
	if err != nil {
		return err
	}
	fs := newFlags("serve", e)
	cfg.ServeFlags(fs)
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	eng, err := engine.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		eng.Shutdown(context.Background())
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return eng.Serve(ctx, ln)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(trace.Handler(h))
}

func runMigrate(ctx context.Context, e env) error {
	cfg, err := config.FromEnv(e.getenv)
	if err != nil {
		return err
	}
	fs := newFlags("migrate", e)
	cfg.DatabaseFlag(fs)
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	s, err := store.Open(ctx, cfg.DatabaseURL, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "database is up to date:", s.Name())
	return s.Close()
}

// openStore opens the configured database for a CLI command.
func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	return store.Open(ctx, cfg.DatabaseURL, slog.New(slog.DiscardHandler))
}
