package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/orqestra/orqestra/internal/bench"
)

// runBench is "orqestra bench": a bounded load generator against a running
// engine, loopback by default.
func runBench(ctx context.Context, e env) error {
	fs := newFlags("bench", e)
	var cfg bench.Config
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "engine base URL; a non-loopback URL must be given explicitly")
	fs.StringVar(&cfg.APIKey, "api-key", e.getenv("ORQESTRA_API_KEY"), "tenant API key (env ORQESTRA_API_KEY); create the tenant with --rate-limit 0")
	fs.StringVar(&cfg.TenantID, "tenant", "", "tenant id (needed for --history)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of the load phase (at most 1h)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 32, "requests in flight")
	fs.Float64Var(&cfg.Rate, "rate", 0, "triggers per second, open loop; 0 = as fast as possible (closed loop)")
	fs.Int64Var(&cfg.MaxRequests, "requests", 0, "stop after this many triggers (0 = only --duration)")
	channels := fs.String("channels", "PUSH", "comma-separated channels of each trigger: PUSH, EMAIL, SMS")
	fs.IntVar(&cfg.Clients, "clients", 0, "WebSocket clients (one user each) connected and subscribed before the run")
	fs.StringVar(&cfg.EventType, "event-type", "global.bench", "event type (a global.* type, or one whose PUSH body uses {{message}})")
	fs.IntVar(&cfg.HistoryRequests, "history", 0, "history pages of 50 to fetch after the run, to measure their latency (needs --tenant)")
	fs.IntVar(&cfg.PID, "pid", 0, "engine process id for RSS (default: the local process listening on the URL's port)")
	fs.DurationVar(&cfg.Drain, "drain", 10*time.Second, "how long to wait after the load for receipts and deliveries")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "no progress line on stderr")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "url" {
			cfg.AllowRemote = true
		}
	})
	cfg.Channels = strings.Split(*channels, ",")
	if !*quiet {
		cfg.Progress = e.stderr
	}
	if cfg.AllowRemote && !strings.Contains(cfg.URL, "127.0.0.1") && !strings.Contains(cfg.URL, "localhost") && !strings.Contains(cfg.URL, "[::1]") {
		fmt.Fprintf(e.stderr, "note: loading %s, which may not be this machine: make sure it is yours and may take the load\n", cfg.URL)
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(e.stdout)
}
