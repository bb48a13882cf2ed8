package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/store"
)

func runTemplate(ctx context.Context, e env) error {
	return subcommands(ctx, e, "template", map[string]func(context.Context, env) error{
		"set":        templateSet,
		"list":       templateList,
		"activate":   func(ctx context.Context, e env) error { return templateActivate(ctx, e, true) },
		"deactivate": func(ctx context.Context, e env) error { return templateActivate(ctx, e, false) },
	}, "set|list|activate|deactivate")
}

// Template limits keep rendered notifications reasonable.
const (
	maxTemplateField = 200
	maxTemplateBody  = 64 << 10
)

func templateSet(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "template set")
	if err != nil {
		return err
	}
	eventType := fs.String("event-type", "", "event type, e.g. order.confirmed (required)")
	channel := fs.String("channel", "", "PUSH, EMAIL or SMS (required)")
	category := fs.String("category", "", "category shown by the bell, e.g. orders")
	title := fs.String("title", "", "PUSH: the notification title, with {{variables}}")
	subject := fs.String("subject", "", "EMAIL: the subject, with {{variables}}")
	body := fs.String("body", "", "the text body, with {{variables}} (required)")
	html := fs.String("html", "", "EMAIL: an HTML body, with {{variables}} (HTML-escaped)")
	activate := fs.Bool("activate", false, "make this version the active one")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	ch := strings.ToUpper(strings.TrimSpace(*channel))
	var problems []string
	if strings.TrimSpace(*eventType) == "" || len(*eventType) > maxTemplateField {
		problems = append(problems, "--event-type is required (at most 200 characters)")
	}
	if ch != delivery.ChannelPush && ch != delivery.ChannelEmail && ch != delivery.ChannelSMS {
		problems = append(problems, "--channel must be PUSH, EMAIL or SMS")
	}
	if strings.TrimSpace(*body) == "" {
		problems = append(problems, "--body is required")
	}
	if len(*body) > maxTemplateBody || len(*html) > maxTemplateBody {
		problems = append(problems, "--body and --html must be at most 64 KiB")
	}
	if len(*title) > maxTemplateField || len(*subject) > maxTemplateField || len(*category) > maxTemplateField {
		problems = append(problems, "--title, --subject and --category must be at most 200 characters")
	}
	if ch == delivery.ChannelEmail && strings.TrimSpace(*subject) == "" {
		problems = append(problems, "--subject is required for EMAIL")
	}
	if len(problems) > 0 {
		fmt.Fprintln(e.stderr, "orqestra template set: "+strings.Join(problems, "; "))
		return errUsage
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	saved, err := s.SaveTemplate(ctx, store.Template{
		ID: "tpl_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20], TenantID: t.ID, EventType: strings.TrimSpace(*eventType), Channel: ch,
		Category: *category, Title: *title, Subject: *subject, Body: *body, HTML: *html, Active: *activate, CreatedAt: time.Now(),
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"id": saved.ID, "eventType": saved.EventType, "channel": saved.Channel, "version": saved.Version, "active": saved.Active})
	}
	state := "saved as a draft (activate it with --activate or \"template activate\")"
	if saved.Active {
		state = "active"
	}
	fmt.Fprintf(e.stdout, "Template %s: %s on %s, version %d, %s.\n", saved.ID, saved.EventType, saved.Channel, saved.Version, state)
	return nil
}

func templateList(ctx context.Context, e env) error {
	cfg, fs, id, err := tenantSetup(e, "template list")
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
	list, err := s.Templates(ctx, t.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(list))
		for _, tp := range list {
			out = append(out, map[string]any{"id": tp.ID, "eventType": tp.EventType, "channel": tp.Channel, "version": tp.Version, "active": tp.Active,
				"category": tp.Category, "title": tp.Title, "subject": tp.Subject, "body": tp.Body, "html": tp.HTML, "createdAt": tp.CreatedAt.Format(time.RFC3339)})
		}
		return printJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT TYPE\tCHANNEL\tVERSION\tACTIVE\tCREATED")
	for _, tp := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%v\t%s\n", tp.ID, tp.EventType, tp.Channel, tp.Version, tp.Active, tp.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func templateActivate(ctx context.Context, e env, active bool) error {
	verb := map[bool]string{true: "activate", false: "deactivate"}[active]
	cfg, fs, id, err := tenantSetup(e, "template "+verb)
	if err != nil {
		return err
	}
	tplID := fs.String("template", "", "template id from \"template list\" (required)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := required(e, "template", *tplID); err != nil {
		return err
	}
	s, t, err := loadTenant(ctx, e, *cfg, *id)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetTemplateActive(ctx, t.ID, *tplID, active); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("template %q not found for tenant %s", *tplID, t.ID)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Template %s %sd.\n", *tplID, verb)
	return nil
}
