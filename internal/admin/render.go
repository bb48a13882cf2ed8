package admin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orqestra/orqestra/internal/store"
)

// page is what every admin page template gets.
type page struct {
	Title string
	// Nav names the highlighted sidebar entry.
	Nav string
	// CSRF is the token every form posts as _csrf.
	CSRF string
	// Tenant is the tenant the page is about, when there is one.
	Tenant *store.Tenant
	// Tenants fills the tenant switcher.
	Tenants []store.Tenant
	Flash   string
	Error   string
	Data    any
	// Providers shows the Providers page in the navigation.
	Providers bool
}

// T is the URL prefix of the page's tenant.
func (p *page) T() string {
	if p.Tenant == nil {
		return "/admin/tenants"
	}
	return "/admin/tenants/" + p.Tenant.ID
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"timep": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"ago":    ago,
	"badge":  badgeClass,
	"pretty": prettyJSON,
	"trunc": func(n int, s string) string {
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n]) + "…"
	},
	"mask": maskSecret,
	"join": strings.Join,
	"split": func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	},
	"contains": func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	},
}

func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// badgeClass maps a status word to a badge colour.
func badgeClass(status string) string {
	switch strings.ToLower(status) {
	case "sent", "delivered", "active", "read", "ok":
		return "badge ok"
	case "failed", "disabled", "revoked", "error":
		return "badge bad"
	case "retrying", "sending", "queued", "pending", "unread":
		return "badge warn"
	}
	return "badge"
}

func prettyJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return s
	}
	return string(b)
}

// maskSecret shows enough of a secret to recognise it.
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return "••••••••"
	}
	return s[:4] + "••••••••"
}

// parsePages parses each page together with the shared layout, so every page
// can define its own "content".
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("admin: templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("admin: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		if path.Base(name) == "layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("admin: templates: %w", err)
		}
		pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return pages, nil
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	h.renderStatus(w, r, http.StatusOK, name, p)
}

func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := h.pages[name]
	if !ok {
		h.serverError(w, r, fmt.Errorf("admin: no page %q", name))
		return
	}
	if s := sessionFrom(r.Context()); s.csrf != "" {
		p.CSRF = s.csrf
		p.Providers = providersPage
		if p.Tenants == nil {
			if list, err := h.deps.Store.Tenants(r.Context()); err == nil {
				p.Tenants = list
			}
		}
		if p.Flash == "" {
			p.Flash = takeFlash(w, r)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

const flashCookie = "orq_admin_flash"

// flash shows msg on the next page rendered (after a redirect).
func flash(w http.ResponseWriter, r *http.Request, msg string) {
	setCookie(w, r, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(msg)), 60)
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	setCookie(w, r, flashCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) > 500 {
		return ""
	}
	return string(b)
}

// redirect finishes a successful form post.
func redirect(w http.ResponseWriter, r *http.Request, to, msg string) {
	if msg != "" {
		flash(w, r, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong; the server log has the details.", http.StatusInternalServerError)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderStatus(w, r, http.StatusNotFound, "notfound", &page{Title: "Not found"})
}

// storeError renders a not-found page for store.ErrNotFound and a server
// error otherwise.
func (h *Handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	h.serverError(w, r, err)
}
