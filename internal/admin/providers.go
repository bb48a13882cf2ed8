package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

// providersPage says whether the Providers page exists.
const providersPage = true

// providerTestTimeout bounds "send test message".
const providerTestTimeout = 20 * time.Second

// providerSummary names a tenant's active providers, for the pre-flight.
func (h *Handler) providerSummary(ctx context.Context, tenantID string) (names []string, ready bool, err error) {
	list, err := h.deps.Store.Providers(ctx, tenantID)
	if err != nil {
		return nil, true, err
	}
	for _, p := range list {
		if p.Active {
			names = append(names, fmt.Sprintf("%s %s (%s)", p.Channel, p.Name, p.Kind))
		}
	}
	return names, true, nil
}

type providerRow struct {
	store.Provider
	// Config is the masked config as key/value pairs, in key order.
	Config [][2]string
	Error  string
}

type providersData struct {
	Channels map[string][]providerRow
	Order    []string
	Kinds    []string
}

func (h *Handler) handleProviders(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "providers", "Providers")
	if p == nil {
		return
	}
	list, err := h.deps.Store.Providers(r.Context(), p.Tenant.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := providersData{Channels: map[string][]providerRow{}, Order: []string{delivery.ChannelEmail, delivery.ChannelSMS}, Kinds: provider.Kinds()}
	for _, pr := range list {
		row := providerRow{Provider: pr}
		masked, err := provider.MaskedConfig(h.deps.Secrets, pr)
		if err != nil {
			row.Error = "The config cannot be opened: is ORQESTRA_SECRET_KEY the one it was saved with?"
		} else {
			row.Config = flatten(masked)
		}
		d.Channels[pr.Channel] = append(d.Channels[pr.Channel], row)
	}
	p.Data = d
	h.render(w, r, "providers", p)
}

// flatten turns a config JSON object into sorted display pairs.
func flatten(raw json.RawMessage) [][2]string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out [][2]string
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			continue
		case string:
			if x == "" {
				continue
			}
			out = append(out, [2]string{k, x})
		case map[string]any:
			for sk, sv := range x {
				out = append(out, [2]string{k + "." + sk, fmt.Sprint(sv)})
			}
		default:
			out = append(out, [2]string{k, fmt.Sprint(x)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// providerField is one config key in the provider form.
type providerField struct {
	provider.Key
	Value string
	// Stored is set when editing a secret: blank keeps the stored value.
	Stored string
}

type providerForm struct {
	ID, Kind, Channel, Name, Priority string
	Active                            bool
	Channels                          []string
	Fields                            []providerField
	Problems                          []string
}

func (h *Handler) newProviderForm(kind string) (providerForm, error) {
	keys, err := provider.Keys(kind)
	if err != nil {
		return providerForm{}, err
	}
	chans, err := provider.Channels(kind)
	if err != nil {
		return providerForm{}, err
	}
	f := providerForm{Kind: kind, Channel: chans[0], Channels: chans, Priority: "1", Active: true}
	for _, k := range keys {
		f.Fields = append(f.Fields, providerField{Key: k})
	}
	return f, nil
}

func (h *Handler) handleProviderNew(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "providers", "Add provider")
	if p == nil {
		return
	}
	kind := r.URL.Query().Get("kind")
	f, err := h.newProviderForm(kind)
	if err != nil {
		h.notFound(w, r)
		return
	}
	if c := r.URL.Query().Get("channel"); provider.Serves(kind, c) {
		f.Channel = c
	}
	p.Data = f
	h.render(w, r, "provider_form", p)
}

func (h *Handler) handleProviderEdit(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "providers", "Edit provider")
	if p == nil {
		return
	}
	pr, err := h.deps.Store.Provider(r.Context(), p.Tenant.ID, r.PathValue("pid"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	f, err := h.newProviderForm(pr.Kind)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f.ID, f.Channel, f.Name, f.Priority, f.Active = pr.ID, pr.Channel, pr.Name, strconv.Itoa(pr.Priority), pr.Active
	plain, err := provider.OpenConfig(h.deps.Secrets, pr)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	masked, _ := provider.Mask(pr.Kind, plain)
	values, shown := map[string]string{}, map[string]string{}
	for _, kv := range flatten(plain) {
		values[kv[0]] = kv[1]
	}
	for _, kv := range flatten(masked) {
		shown[kv[0]] = kv[1]
	}
	for i, fl := range f.Fields {
		if fl.Type == "map" {
			var lines []string
			for k, v := range values {
				if name, ok := strings.CutPrefix(k, fl.Name+"."); ok {
					if fl.Secret {
						v = shown[k]
					}
					lines = append(lines, name+": "+v)
				}
			}
			sort.Strings(lines)
			if fl.Secret {
				f.Fields[i].Stored = strings.Join(lines, "; ")
			} else {
				f.Fields[i].Value = strings.Join(lines, "\n")
			}
			continue
		}
		if fl.Secret {
			f.Fields[i].Stored = shown[fl.Name]
		} else {
			f.Fields[i].Value = values[fl.Name]
		}
	}
	p.Data = f
	h.render(w, r, "provider_form", p)
}

// handleProviderSave adds a provider, or saves one when the form has an id.
// On edit, a blank secret keeps the stored value.
func (h *Handler) handleProviderSave(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "providers", "Provider")
	if p == nil {
		return
	}
	ctx := r.Context()
	pf := r.PostFormValue
	var existing *store.Provider
	kind := pf("kind")
	if id := pf("id"); id != "" {
		pr, err := h.deps.Store.Provider(ctx, p.Tenant.ID, id)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		existing, kind = &pr, pr.Kind
	}
	f, err := h.newProviderForm(kind)
	if err != nil {
		h.notFound(w, r)
		return
	}
	f.ID, f.Channel, f.Name, f.Priority, f.Active = pf("id"), pf("channel"), pf("name"), pf("priority"), pf("active") == "1"
	var stored map[string]string
	if existing != nil {
		f.Channel = existing.Channel
		plain, err := provider.OpenConfig(h.deps.Secrets, *existing)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		stored = map[string]string{}
		for _, kv := range flatten(plain) {
			stored[kv[0]] = kv[1]
		}
	}
	var pairs []string
	for i, fl := range f.Fields {
		v := pf("cfg." + fl.Name)
		if fl.Type == "boolean" {
			v = strconv.FormatBool(v == "true")
		}
		f.Fields[i].Value = v
		if fl.Secret && strings.TrimSpace(v) == "" && stored != nil {
			for k, sv := range stored { // keep the stored secret
				if k == fl.Name || strings.HasPrefix(k, fl.Name+".") {
					pairs = append(pairs, k+"="+sv)
				}
			}
			f.Fields[i].Stored = "unchanged"
			continue
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		if fl.Type == "map" {
			for _, line := range strings.Split(v, "\n") {
				name, val, ok := strings.Cut(line, ":")
				if ok && strings.TrimSpace(name) != "" {
					pairs = append(pairs, fl.Name+"."+strings.TrimSpace(name)+"="+strings.TrimSpace(val))
				}
			}
			continue
		}
		pairs = append(pairs, fl.Name+"="+strings.TrimSpace(v))
	}
	priority, perr := strconv.Atoi(strings.TrimSpace(f.Priority))
	raw, err := provider.ParseSettings(kind, pairs)
	n := provider.NewProvider{TenantID: p.Tenant.ID, Channel: f.Channel, Kind: kind, Name: f.Name, Priority: priority, Active: f.Active, Config: raw}
	if err != nil {
		f.Problems = provider.Problems(err)
		n.Config = nil
	}
	if perr != nil {
		f.Problems = append(f.Problems, fmt.Sprintf("priority must be a whole number from 1 to %d", provider.MaxPriority))
	}
	for _, prob := range provider.Problems(provider.Check(n)) {
		if !contains(f.Problems, prob) {
			f.Problems = append(f.Problems, prob)
		}
	}
	if len(f.Problems) > 0 {
		p.Data = f
		h.renderStatus(w, r, http.StatusUnprocessableEntity, "provider_form", p)
		return
	}
	now := h.now()
	if existing == nil {
		pr, err := provider.Add(ctx, h.deps.Store, h.deps.Secrets, n, now)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		h.log.InfoContext(ctx, "admin added provider", "tenant_id", p.Tenant.ID, "provider_id", pr.ID, "kind", pr.Kind)
		redirect(w, r, "/admin/tenants/"+p.Tenant.ID+"/providers", "Provider "+pr.Name+" added.")
		return
	}
	sealed, err := h.deps.Secrets.Seal(raw, secret.AssociatedData(existing.TenantID, existing.ID))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	name := strings.TrimSpace(f.Name)
	if name == "" {
		name = kind
	}
	existing.Name, existing.Priority, existing.Active, existing.ConfigSealed, existing.UpdatedAt = name, priority, f.Active, sealed, now
	if err := h.deps.Store.UpdateProvider(ctx, *existing); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.log.InfoContext(ctx, "admin updated provider", "tenant_id", p.Tenant.ID, "provider_id", existing.ID)
	redirect(w, r, "/admin/tenants/"+p.Tenant.ID+"/providers", "Provider "+name+" saved.")
}

// handleProviderChange applies the small actions of the providers list:
// activate, deactivate, move up or down, remove.
func (h *Handler) handleProviderChange(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "providers", "Providers")
	if p == nil {
		return
	}
	ctx := r.Context()
	pr, err := h.deps.Store.Provider(ctx, p.Tenant.ID, r.PathValue("pid"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	back := "/admin/tenants/" + p.Tenant.ID + "/providers"
	msg := ""
	switch r.PostFormValue("do") {
	case "activate", "deactivate":
		pr.Active = r.PostFormValue("do") == "activate"
		msg = "Provider " + pr.Name + map[bool]string{true: " active.", false: " inactive: kept, but skipped."}[pr.Active]
	case "up":
		pr.Priority = max(1, pr.Priority-1)
		msg = fmt.Sprintf("%s now has priority %d.", pr.Name, pr.Priority)
	case "down":
		pr.Priority = min(provider.MaxPriority, pr.Priority+1)
		msg = fmt.Sprintf("%s now has priority %d.", pr.Name, pr.Priority)
	case "remove":
		if err := h.deps.Store.DeleteProvider(ctx, p.Tenant.ID, pr.ID); err != nil {
			h.storeError(w, r, err)
			return
		}
		h.log.InfoContext(ctx, "admin removed provider", "tenant_id", p.Tenant.ID, "provider_id", pr.ID)
		redirect(w, r, back, "Provider "+pr.Name+" removed.")
		return
	default:
		http.Error(w, "Unknown action.", http.StatusBadRequest)
		return
	}
	pr.UpdatedAt = h.now()
	if err := h.deps.Store.UpdateProvider(ctx, pr); err != nil {
		h.storeError(w, r, err)
		return
	}
	redirect(w, r, back, msg)
}

// handleProviderTest sends one test message straight through the provider,
// outside the queue, and shows the outcome.
func (h *Handler) handleProviderTest(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "providers", "Providers")
	if p == nil {
		return
	}
	ctx := r.Context()
	pr, err := h.deps.Store.Provider(ctx, p.Tenant.ID, r.PathValue("pid"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	back := "/admin/tenants/" + p.Tenant.ID + "/providers"
	to := strings.TrimSpace(r.PostFormValue("to"))
	if to == "" || len(to) > 320 {
		redirect(w, r, back, "Enter a recipient for the test message.")
		return
	}
	sender, err := provider.BuildStored(h.deps.Secrets, pr, provider.Options{})
	if err != nil {
		redirect(w, r, back, "Test not sent: "+err.Error())
		return
	}
	msg := delivery.Message{
		DeliveryID: "test_" + strings.ReplaceAll(uuid.NewString(), "-", ""), TenantID: pr.TenantID, EventID: "provider-test", Channel: pr.Channel,
		To: to, Subject: "Orqestra test message",
		Text: fmt.Sprintf("This is a test message from Orqestra through provider %q (%s).", pr.Name, pr.Kind),
	}
	if pr.Channel == delivery.ChannelEmail {
		msg.HTML = "<p>" + msg.Text + "</p>"
	}
	sendCtx, cancel := context.WithTimeout(ctx, providerTestTimeout)
	defer cancel()
	start := time.Now()
	receipt, err := sender.Send(sendCtx, msg)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		kind := "transient: deliveries would retry"
		var rl *delivery.RateLimitedError
		switch {
		case errors.As(err, &rl):
			kind = "rate limited"
		case delivery.IsPermanent(err):
			kind = "permanent: deliveries would fall back to the next provider"
		}
		redirect(w, r, back, fmt.Sprintf("Test through %s failed after %s (%s): %v", pr.Name, took, kind, err))
		return
	}
	h.log.InfoContext(ctx, "admin sent provider test", "tenant_id", p.Tenant.ID, "provider_id", pr.ID)
	redirect(w, r, back, fmt.Sprintf("Test message sent through %s to %s in %s (provider message id %s).", pr.Name, to, took, receipt.ProviderMessageID))
}
