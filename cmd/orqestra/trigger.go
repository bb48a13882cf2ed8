package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/orqestra/orqestra/client"
)

// runTrigger sends one event through the Go SDK, with its signing,
// idempotency and retry rules, so an operator can test a tenant's setup (the
// seed's pre-flight step 3) from a shell:
//
//	orqestra trigger --event-type global.info --user u1 --var title=Hi --var message=Hello
func runTrigger(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	eventType := fs.String("event-type", "", "event type to trigger, e.g. global.info (required)")
	user := fs.String("user", "", "recipient's user id in your application (required)")
	email := fs.String("email", "", "recipient email address, needed for the EMAIL channel")
	phone := fs.String("phone", "", "recipient phone in E.164 form (+254712345678), needed for SMS")
	idemKey := fs.String("idempotency-key", "", "X-Idempotency-Key; generated when empty")
	vars := varFlag{}
	fs.Var(vars, "var", "template variable `key=value`; repeat for more")
	var channels channelFlag
	fs.Var(&channels, "channel", "restrict delivery to `CHANNEL` (EMAIL, SMS, PUSH); repeat or comma-separate")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: orqestra trigger --event-type T --user U [--email E] [--phone P] [--var k=v]... [--channel C] [--idempotency-key K]")
		fmt.Fprintln(fs.Output(), "env: ORQESTRA_URL (default http://localhost:8080), ORQESTRA_API_KEY, ORQESTRA_WEBHOOK_SECRET")
		fs.PrintDefaults()
	}
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("trigger: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("trigger: unexpected argument %q", fs.Arg(0))
	}
	if *eventType == "" || *user == "" {
		return errors.New("trigger: --event-type and --user are required")
	}
	apiKey := e.getenv("ORQESTRA_API_KEY")
	if apiKey == "" {
		return errors.New("trigger: ORQESTRA_API_KEY is not set")
	}
	baseURL := e.getenv("ORQESTRA_URL")
	if baseURL == "" {
		baseURL = "http://localhost:8080"
	}
	c, err := client.New(baseURL,
		client.WithAPIKey(apiKey),
		client.WithWebhookSecret(e.getenv("ORQESTRA_WEBHOOK_SECRET")),
		client.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil))),
	)
	if err != nil {
		return fmt.Errorf("trigger: %w", err)
	}

	opts := []client.SendOption{}
	if *idemKey != "" {
		opts = append(opts, client.IdempotencyKey(*idemKey))
	}
	if len(channels) > 0 {
		opts = append(opts, client.Channels(channels...))
	}
	var variables map[string]any
	if len(vars) > 0 {
		variables = make(map[string]any, len(vars))
		for k, v := range vars {
			variables[k] = v
		}
	}
	res, err := c.SendNotification(ctx, *eventType,
		client.Payload{UserID: *user, RecipientEmail: *email, RecipientPhone: *phone},
		variables, opts...)
	if err != nil {
		return fmt.Errorf("trigger: event not accepted: %w", err)
	}
	fmt.Fprintln(e.stdout, res.Message)
	fmt.Fprintf(e.stdout, "eventId: %s\nidempotencyKey: %s\n", res.EventID, res.IdempotencyKey)
	if res.TraceID != "" {
		fmt.Fprintf(e.stdout, "traceId: %s\n", res.TraceID)
	}
	return nil
}

// varFlag collects repeated --var key=value; a later key wins.
type varFlag map[string]string

func (v varFlag) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k+"="+v[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (v varFlag) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	v[k] = val
	return nil
}

// channelFlag collects --channel values, repeated or comma-separated.
type channelFlag []string

func (c *channelFlag) String() string { return strings.Join(*c, ",") }

func (c *channelFlag) Set(s string) error {
	for _, ch := range strings.Split(s, ",") {
		ch = strings.ToUpper(strings.TrimSpace(ch))
		switch ch {
		case client.ChannelEmail, client.ChannelSMS, client.ChannelPush:
			*c = append(*c, ch)
		default:
			return fmt.Errorf("unknown channel %q (want EMAIL, SMS or PUSH)", ch)
		}
	}
	return nil
}
