package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/store"
)

// subcommands dispatches "orqestra GROUP ACTION [flags]".
func subcommands(ctx context.Context, e env, group string, actions map[string]func(context.Context, env) error, summary string) error {
	if len(e.args) == 0 || e.args[0] == "-h" || e.args[0] == "--help" || e.args[0] == "help" {
		fmt.Fprintf(e.stderr, "Usage: orqestra %s <%s> [flags]\n", group, summary)
		if len(e.args) == 0 {
			return errUsage
		}
		return nil
	}
	act, ok := actions[e.args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "orqestra %s: unknown action %q (want %s)\n", group, e.args[0], summary)
		return errUsage
	}
	sub := e
	sub.args = e.args[1:]
	return act(ctx, sub)
}

func runTenant(ctx context.Context, e env) error {
	return subcommands(ctx, e, "tenant", map[string]func(context.Context, env) error{
		"create":  tenantCreate,
		"list":    tenantList,
		"update":  tenantUpdate,
		"disable": func(ctx context.Context, e env) error { return tenantSetActive(ctx, e, false) },
		"enable":  func(ctx context.Context, e env) error { return tenantSetActive(ctx, e, true) },
	}, "create|list|update|disable|enable")
}

// cliSetup reads the environment config and registers --database.
func cliSetup(e env, name string) (*config.Config, *flag.FlagSet, error) {
	cfg, err := config.FromEnv(e.getenv)
	if err != nil {
		return nil, nil, err
	}
	fs := newFlags(name, e)
	cfg.DatabaseFlag(fs)
	return &cfg, fs, nil
}

// tenantSetup is cliSetup for a command acting on one tenant: it also
// registers --tenant.
func tenantSetup(e env, name string) (*config.Config, *flag.FlagSet, *string, error) {
	cfg, fs, err := cliSetup(e, name)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, fs, fs.String("tenant", "", "tenant id (required)"), nil
}

// required reports a missing required flag the way flag parsing errors are.
func required(e env, flagName, value string) error {
	if value == "" {
		fmt.Fprintf(e.stderr, "--%s is required\n", flagName)
		return errUsage
	}
	return nil
}

func tenantCreate(ctx context.Context, e env) error {
	cfg, fs, err := cliSetup(e, "tenant create")
	if err != nil {
		return err
	}
	name := fs.String("name", "", "tenant name (required)")
	secret := fs.String("webhook-secret", "", "require X-Orqestra-Signature signed with this secret")
	limit := fs.Int("rate-limit", access.DefaultRateLimit, "triggers per minute (0 = unlimited)")
	origins := fs.String("cors-origins", "", "comma-separated browser origins allowed for this tenant")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		fmt.Fprintln(e.stderr, "orqestra tenant create: --name is required")
		return errUsage
	}
	s, err := openStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	t, key, err := access.CreateTenant(ctx, s, access.NewTenant{Name: *name, WebhookSecret: *secret, RateLimit: *limit, CORSOrigins: config.SplitList(*origins)}, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]string{"id": t.ID, "name": t.Name, "apiKey": key})
	}
	fmt.Fprintf(e.stdout, "Tenant created.\n  id:      %s\n  name:    %s\n  API key: %s\n\nThe API key is shown only this once; store it now (e.g. as ORQESTRA_API_KEY).\n", t.ID, t.Name, key)
	return nil
}

func tenantList(ctx context.Context, e env) error {
	cfg, fs, err := cliSetup(e, "tenant list")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	s, err := openStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ts, err := s.Tenants(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(ts))
		for _, t := range ts {
			out = append(out, map[string]any{"id": t.ID, "name": t.Name, "active": t.Active, "rateLimit": t.RateLimit,
				"signed": t.WebhookSecret != "", "corsOrigins": t.CORSOrigins, "createdAt": t.CreatedAt.Format(time.RFC3339)})
		}
		return printJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tACTIVE\tRATE LIMIT\tSIGNED\tCREATED")
	for _, t := range ts {
		limit := fmt.Sprintf("%d/min", t.RateLimit)
		if t.RateLimit == 0 {
			limit = "unlimited"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%v\t%s\n", t.ID, t.Name, t.Active, limit, t.WebhookSecret != "", t.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func tenantUpdate(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "tenant update")
	if err != nil {
		return err
	}
	var name, secret, origins optString
	fs.Var(&name, "name", "new name")
	fs.Var(&secret, "webhook-secret", "new webhook secret (\"\" removes signing)")
	fs.Var(&origins, "cors-origins", "comma-separated browser origins")
	limit := fs.Int("rate-limit", -1, "triggers per minute (0 = unlimited)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	if name.set {
		t.Name = name.v
	}
	if secret.set {
		t.WebhookSecret = secret.v
	}
	if origins.set {
		t.CORSOrigins = config.SplitList(origins.v)
	}
	if *limit >= 0 {
		t.RateLimit = *limit
	}
	if err := s.UpdateTenant(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Tenant %s updated.\n", t.ID)
	return nil
}

func tenantSetActive(ctx context.Context, e env, active bool) error {
	verb := map[bool]string{true: "enable", false: "disable"}[active]
	cfg, fs, id, err := tenantSetup(e, "tenant "+verb)
	if err != nil {
		return err
	}
	args := e.args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		*id, args = args[0], args[1:] // also accept the id as an argument
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	t.Active = active
	if err := s.UpdateTenant(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Tenant %s %sd.\n", t.ID, verb)
	return nil
}

// loadTenant opens the store and loads tenant id; the caller closes the store.
func loadTenant(ctx context.Context, e env, cfg config.Config, id string) (*store.Store, store.Tenant, error) {
	if err := required(e, "tenant", id); err != nil {
		return nil, store.Tenant{}, err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return nil, store.Tenant{}, err
	}
	t, err := s.Tenant(ctx, id)
	if err != nil {
		s.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, store.Tenant{}, fmt.Errorf("tenant %q not found", id)
		}
		return nil, store.Tenant{}, err
	}
	return s, t, nil
}

// optString is a string flag that knows whether it was given.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string     { return o.v }
func (o *optString) Set(v string) error { o.v, o.set = v, true; return nil }

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
