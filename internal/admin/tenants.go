package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/store"
)

// tenantPage loads the {tid} tenant of the request into a page, or answers
// 404 and returns nil.
func (h *Handler) tenantPage(w http.ResponseWriter, r *http.Request, nav, title string) *page {
	t, err := h.deps.Store.Tenant(r.Context(), r.PathValue("tid"))
	if err != nil {
		h.storeError(w, r, err)
		return nil
	}
	return &page{Title: title, Nav: nav, Tenant: &t}
}

type tenantRow struct {
	store.Tenant
	ActiveTemplates int
}

type tenantsData struct {
	Rows []tenantRow
	// Created is set right after creating a tenant: its key is shown once.
	Created *createdKey
	Form    tenantForm
}

type createdKey struct {
	TenantID, TenantName, Key string
}

type tenantForm struct {
	Name, WebhookSecret, RateLimit string
}

func (h *Handler) handleTenants(w http.ResponseWriter, r *http.Request) {
	h.tenantsPage(w, r, http.StatusOK, &page{}, nil, tenantForm{RateLimit: strconv.Itoa(access.DefaultRateLimit)})
}

func (h *Handler) tenantsPage(w http.ResponseWriter, r *http.Request, status int, p *page, created *createdKey, form tenantForm) {
	list, err := h.deps.Store.Tenants(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows := make([]tenantRow, len(list))
	for i, t := range list {
		rows[i].Tenant = t
		active, err := h.deps.Store.ActiveTemplates(r.Context(), t.ID)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		rows[i].ActiveTemplates = len(active)
	}
	p.Title, p.Nav, p.Tenants = "Tenants", "tenants", list
	p.Data = tenantsData{Rows: rows, Created: created, Form: form}
	h.renderStatus(w, r, status, "tenants", p)
}

// parseRateLimit reads a per-minute limit; blank means the default.
func parseRateLimit(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return access.DefaultRateLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, errors.New("Rate limit must be a whole number from 0 (unlimited) to 1000000.")
	}
	return n, nil
}

func (h *Handler) handleCreateTenant(w http.ResponseWriter, r *http.Request) {
	form := tenantForm{Name: r.PostFormValue("name"), WebhookSecret: strings.TrimSpace(r.PostFormValue("webhook_secret")), RateLimit: r.PostFormValue("rate_limit")}
	limit, err := parseRateLimit(form.RateLimit)
	if err == nil && len(form.WebhookSecret) > 256 {
		err = errors.New("The webhook secret must be at most 256 characters.")
	}
	if err == nil && strings.TrimSpace(form.Name) == "" {
		err = errors.New("Give the tenant a name.")
	}
	if err != nil {
		h.tenantsPage(w, r, http.StatusUnprocessableEntity, &page{Error: err.Error()}, nil, form)
		return
	}
	t, key, err := access.CreateTenant(r.Context(), h.deps.Store, access.NewTenant{Name: form.Name, WebhookSecret: form.WebhookSecret, RateLimit: limit}, h.now())
	if err != nil {
		h.tenantsPage(w, r, http.StatusUnprocessableEntity, &page{Error: strings.TrimPrefix(err.Error(), "access: ")}, nil, form)
		return
	}
	h.log.InfoContext(r.Context(), "admin created tenant", "tenant_id", t.ID)
	h.tenantsPage(w, r, http.StatusOK, &page{Flash: "Tenant " + t.Name + " created."},
		&createdKey{TenantID: t.ID, TenantName: t.Name, Key: key}, tenantForm{RateLimit: strconv.Itoa(access.DefaultRateLimit)})
}

type tenantData struct {
	Keys []store.APIKey
	// NewKey is set right after creating a key: shown once.
	NewKey string
}

func (h *Handler) handleTenant(w http.ResponseWriter, r *http.Request) {
	h.tenantOverview(w, r, "")
}

func (h *Handler) tenantOverview(w http.ResponseWriter, r *http.Request, newKey string) {
	p := h.tenantPage(w, r, "overview", "")
	if p == nil {
		return
	}
	p.Title = p.Tenant.Name
	keys, err := h.deps.Store.APIKeys(r.Context(), p.Tenant.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p.Data = tenantData{Keys: keys, NewKey: newKey}
	h.render(w, r, "tenant", p)
}

func (h *Handler) handleTenantSettings(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "overview", "")
	if p == nil {
		return
	}
	t := *p.Tenant
	name := strings.TrimSpace(r.PostFormValue("name"))
	limit, err := parseRateLimit(r.PostFormValue("rate_limit"))
	switch {
	case err != nil:
	case name == "" || len(name) > 200:
		err = errors.New("The name must be 1 to 200 characters.")
	}
	secret := t.WebhookSecret
	switch r.PostFormValue("webhook") {
	case "clear":
		secret = ""
	case "generate":
		if secret, err = randomString(32); err != nil {
			h.serverError(w, r, err)
			return
		}
		secret = "whsec_" + secret
	case "set":
		secret = strings.TrimSpace(r.PostFormValue("webhook_secret"))
		if err == nil && (secret == "" || len(secret) > 256) {
			err = errors.New("The webhook secret must be 1 to 256 characters.")
		}
	}
	if err != nil {
		p.Title, p.Error = t.Name, err.Error()
		keys, kerr := h.deps.Store.APIKeys(r.Context(), t.ID)
		if kerr != nil {
			h.serverError(w, r, kerr)
			return
		}
		p.Data = tenantData{Keys: keys}
		h.renderStatus(w, r, http.StatusUnprocessableEntity, "tenant", p)
		return
	}
	t.Name, t.RateLimit, t.WebhookSecret = name, limit, secret
	if err := h.deps.Store.UpdateTenant(r.Context(), t); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.forgetKeys()
	redirect(w, r, "/admin/tenants/"+t.ID, "Settings saved.")
}

func (h *Handler) handleTenantStatus(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "overview", "")
	if p == nil {
		return
	}
	t := *p.Tenant
	t.Active = r.PostFormValue("active") == "1"
	if err := h.deps.Store.UpdateTenant(r.Context(), t); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.forgetKeys()
	msg := "Tenant disabled: its API keys stop working."
	if t.Active {
		msg = "Tenant enabled."
	}
	h.log.InfoContext(r.Context(), "admin changed tenant status", "tenant_id", t.ID, "active", t.Active)
	redirect(w, r, "/admin/tenants/"+t.ID, msg)
}

func (h *Handler) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "overview", "")
	if p == nil {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if len(name) > 100 {
		name = name[:100]
	}
	key, rec, err := access.NewKey(p.Tenant.ID, name, h.now())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.deps.Store.CreateAPIKey(r.Context(), rec); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "admin created API key", "tenant_id", p.Tenant.ID, "key_id", rec.ID)
	h.tenantOverview(w, r, key)
}

func (h *Handler) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "overview", "")
	if p == nil {
		return
	}
	if err := h.deps.Store.RevokeAPIKey(r.Context(), p.Tenant.ID, r.PathValue("kid"), h.now()); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.forgetKeys()
	h.log.InfoContext(r.Context(), "admin revoked API key", "tenant_id", p.Tenant.ID, "key_id", r.PathValue("kid"))
	redirect(w, r, "/admin/tenants/"+p.Tenant.ID, "Key revoked.")
}

func (h *Handler) forgetKeys() {
	if h.deps.Keys != nil {
		h.deps.Keys.Forget()
	}
}
