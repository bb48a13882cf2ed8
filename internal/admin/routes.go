package admin

import "net/http"

// routes lists every admin route. All but sign-in and static files need a
// session; every POST also needs the session's CSRF token (see authed).
func (h *Handler) routes() {
	m := h.mux
	a := h.authed

	m.Handle("GET /admin/static/", h.staticFiles())
	m.HandleFunc("GET /admin/login", h.handleLoginPage)
	m.HandleFunc("POST /admin/login", h.handleLogin)
	m.Handle("POST /admin/logout", a(h.handleLogout))

	m.Handle("GET /admin/{$}", a(h.handleHome))
	m.Handle("GET /admin/tenants", a(h.handleTenants))
	m.Handle("POST /admin/tenants", a(h.handleCreateTenant))
	m.Handle("GET /admin/tenants/{tid}", a(h.handleTenant))
	m.Handle("POST /admin/tenants/{tid}/settings", a(h.handleTenantSettings))
	m.Handle("POST /admin/tenants/{tid}/status", a(h.handleTenantStatus))
	m.Handle("POST /admin/tenants/{tid}/keys", a(h.handleCreateKey))
	m.Handle("POST /admin/tenants/{tid}/keys/{kid}/revoke", a(h.handleRevokeKey))

	m.Handle("GET /admin/tenants/{tid}/providers", a(h.handleProviders))
	m.Handle("GET /admin/tenants/{tid}/providers/new", a(h.handleProviderNew))
	m.Handle("POST /admin/tenants/{tid}/providers", a(h.handleProviderSave))
	m.Handle("GET /admin/tenants/{tid}/providers/{pid}/edit", a(h.handleProviderEdit))
	m.Handle("POST /admin/tenants/{tid}/providers/{pid}", a(h.handleProviderChange))
	m.Handle("POST /admin/tenants/{tid}/providers/{pid}/test", a(h.handleProviderTest))

	m.Handle("GET /admin/tenants/{tid}/templates", a(h.handleTemplates))
	m.Handle("GET /admin/tenants/{tid}/templates/edit", a(h.handleTemplateEdit))
	m.Handle("POST /admin/tenants/{tid}/templates", a(h.handleTemplateSave))
	m.Handle("GET /admin/tenants/{tid}/templates/versions", a(h.handleTemplateVersions))
	m.Handle("POST /admin/tenants/{tid}/templates/{id}/active", a(h.handleTemplateActive))

	m.Handle("GET /admin/tenants/{tid}/activity", a(h.handleActivity))
	m.Handle("GET /admin/tenants/{tid}/events/{eid}", a(h.handleEvent))
	m.Handle("GET /admin/tenants/{tid}/outbox", a(h.handleOutbox))

	m.Handle("GET /admin/tenants/{tid}/preflight", a(h.handlePreflight))
	m.Handle("POST /admin/tenants/{tid}/preflight", a(h.handlePreflightSend))

	m.Handle("/admin/", a(h.notFound))
}

func (h *Handler) staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.static.ServeHTTP(w, r)
	})
}

func (h *Handler) handleHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin/tenants", http.StatusSeeOther)
}
