package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

func runProvider(ctx context.Context, e env) error {
	return subcommands(ctx, e, "provider", map[string]func(context.Context, env) error{
		"add":    providerAdd,
		"list":   providerList,
		"remove": providerRemove,
		"test":   providerTest,
	}, "add|list|remove|test")
}

// stringList is a repeatable string flag (--set a=1 --set b=2).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// openBox loads the key that seals provider configs, exactly as the engine
// does, so configs added here open in the server.
func openBox(ctx context.Context, e env, cfg config.Config, s *store.Store) (*secret.Box, error) {
	log := newLogger(cfg, e.stderr)
	return provider.LoadKey(ctx, s, cfg.SecretKey, log.With("component", "cli"))
}

// printProblems prints every problem of a validation error, one a line.
func printProblems(e env, cmd string, problems []string) error {
	fmt.Fprintf(e.stderr, "orqestra %s: the provider was not saved:\n", cmd)
	for _, p := range problems {
		fmt.Fprintln(e.stderr, "  - "+p)
	}
	return errUsage
}

func providerAdd(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "provider add")
	if err != nil {
		return err
	}
	channel := fs.String("channel", "", "EMAIL or SMS (required)")
	kind := fs.String("kind", "", "provider kind: "+strings.Join(provider.Kinds(), ", ")+" (required)")
	name := fs.String("name", "", "a name shown in lists and on deliveries (default: the kind)")
	priority := fs.Int("priority", 1, fmt.Sprintf("1 is tried first, then 2, ... (1-%d)", provider.MaxPriority))
	inactive := fs.Bool("inactive", false, "save it without sending through it yet")
	var sets stringList
	fs.Var(&sets, "set", "one config key, key=value (repeat; map keys as headers.NAME=value); see docs/PROVIDERS.md")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	n := provider.NewProvider{TenantID: *id, Channel: *channel, Kind: *kind, Name: *name, Priority: *priority, Active: !*inactive}
	// Report every problem at once: the flags' and the config's.
	var problems []string
	raw, err := provider.ParseSettings(strings.ToLower(strings.TrimSpace(*kind)), sets)
	if err != nil {
		problems = append(problems, provider.Problems(err)...)
	}
	n.Config = raw
	for _, p := range provider.Problems(provider.Check(n)) {
		if !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return printProblems(e, "provider add", problems)
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	box, err := openBox(ctx, e, *cfg, s)
	if err != nil {
		return err
	}
	n.TenantID = t.ID
	p, err := provider.Add(ctx, s, box, n, time.Now())
	if err != nil {
		if ps := provider.Problems(err); len(ps) > 1 {
			return printProblems(e, "provider add", ps)
		}
		return err
	}
	if *asJSON {
		masked, _ := provider.MaskedConfig(box, p)
		return printJSON(e.stdout, providerJSON(p, masked, nil))
	}
	state := "active"
	if !p.Active {
		state = "inactive"
	}
	fmt.Fprintf(e.stdout, "Provider %s added: %s %s %q, priority %d, %s.\nTry it: orqestra provider test --tenant %s --provider %s --to ADDRESS\n",
		p.ID, p.Channel, p.Kind, p.Name, p.Priority, state, t.ID, p.ID)
	return nil
}

func providerJSON(p store.Provider, masked json.RawMessage, openErr error) map[string]any {
	out := map[string]any{"id": p.ID, "tenantId": p.TenantID, "channel": p.Channel, "kind": p.Kind, "name": p.Name, "priority": p.Priority,
		"active": p.Active, "config": masked, "createdAt": p.CreatedAt.Format(time.RFC3339), "updatedAt": p.UpdatedAt.Format(time.RFC3339)}
	if openErr != nil {
		out["error"] = openErr.Error()
	}
	return out
}

func providerList(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "provider list")
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
	box, err := openBox(ctx, e, *cfg, s)
	if err != nil {
		return err
	}
	list, err := s.Providers(ctx, t.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(list))
		for _, p := range list {
			masked, err := provider.MaskedConfig(box, p)
			out = append(out, providerJSON(p, masked, err))
		}
		return printJSON(e.stdout, out)
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "Tenant %s has no providers: EMAIL and SMS go to the outbox.\n", t.ID)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHANNEL\tPRIORITY\tKIND\tNAME\tACTIVE\tCONFIG")
	for _, p := range list {
		shown := "(cannot open: wrong ORQESTRA_SECRET_KEY?)"
		if masked, err := provider.MaskedConfig(box, p); err == nil {
			shown = string(masked)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%v\t%s\n", p.ID, p.Channel, p.Priority, p.Kind, p.Name, p.Active, shown)
	}
	return tw.Flush()
}

func providerRemove(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "provider remove")
	if err != nil {
		return err
	}
	pid := fs.String("provider", "", "provider id from \"provider list\" (required)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := required(e, "provider", *pid); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.DeleteProvider(ctx, t.ID, *pid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("provider %q not found for tenant %s", *pid, t.ID)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Provider %s removed.\n", *pid)
	return nil
}

// testTimeout bounds "provider test"; providers' own timeouts are shorter.
const testTimeout = 2 * time.Minute

func providerTest(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "provider test")
	if err != nil {
		return err
	}
	pid := fs.String("provider", "", "provider id from \"provider list\" (required)")
	to := fs.String("to", "", "recipient: an email address (EMAIL) or an E.164 phone number (SMS) (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *pid == "" || strings.TrimSpace(*to) == "" {
		fmt.Fprintln(e.stderr, "--provider and --to are required")
		return errUsage
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.Provider(ctx, t.ID, *pid)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("provider %q not found for tenant %s", *pid, t.ID)
	}
	if err != nil {
		return err
	}
	box, err := openBox(ctx, e, *cfg, s)
	if err != nil {
		return err
	}
	sender, err := provider.BuildStored(box, p, provider.Options{})
	if err != nil {
		return err
	}
	// A fresh delivery id per test: providers that deduplicate by it
	// (Message-ID, Idempotency-Key) must not drop a second test.
	msg := delivery.Message{
		DeliveryID: "test_" + strings.ReplaceAll(uuid.NewString(), "-", ""), TenantID: t.ID, EventID: "provider-test", Channel: p.Channel,
		To: strings.TrimSpace(*to), Subject: "Orqestra test message",
		Text: fmt.Sprintf("This is a test message from Orqestra through provider %q (%s, %s).", p.Name, p.Kind, p.ID),
	}
	if p.Channel == delivery.ChannelEmail {
		msg.HTML = "<p>" + msg.Text + "</p>"
	}
	sendCtx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	start := time.Now()
	receipt, err := sender.Send(sendCtx, msg)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		class := "transient (deliveries would retry with backoff)"
		var rl *delivery.RateLimitedError
		switch {
		case errors.As(err, &rl):
			class = fmt.Sprintf("rate limited (deliveries would wait %s)", rl.RetryAfter)
		case delivery.IsPermanent(err):
			class = "permanent (deliveries would fail at once, or fall back to the next provider)"
		}
		if *asJSON {
			printJSON(e.stdout, map[string]any{"ok": false, "provider": p.ID, "error": err.Error(), "class": strings.Fields(class)[0], "tookMs": took.Milliseconds()})
		}
		return &exitError{code: 1, err: fmt.Errorf("test through %s failed after %s, %s: %w", p.ID, took, class, err)}
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"ok": true, "provider": p.ID, "providerMessageId": receipt.ProviderMessageID, "tookMs": took.Milliseconds()})
	}
	fmt.Fprintf(e.stdout, "Sent through %s (%s %q) to %s in %s.\n  provider message id: %s\n", p.ID, p.Kind, p.Name, msg.To, took, orNone(receipt.ProviderMessageID))
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none given)"
	}
	return s
}
