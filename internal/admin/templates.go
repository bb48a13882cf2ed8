package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/render"
	"github.com/orqestra/orqestra/internal/store"
)

// channels are the template channels, in the order pages show them.
var channels = []string{delivery.ChannelEmail, delivery.ChannelSMS, delivery.ChannelPush}

const maxTemplateField = 64 << 10

// templateGroup is one event type and channel with its versions.
type templateGroup struct {
	EventType, Channel string
	Latest             store.Template
	Active             *store.Template
	Versions           int
}

func versionsURL(tenantID, eventType, channel string) string {
	return "/admin/tenants/" + tenantID + "/templates/versions?" + url.Values{"eventType": {eventType}, "channel": {channel}}.Encode()
}

func (h *Handler) handleTemplates(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "templates", "Templates")
	if p == nil {
		return
	}
	list, err := h.deps.Store.Templates(r.Context(), p.Tenant.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var groups []*templateGroup
	for _, t := range list {
		var g *templateGroup
		if n := len(groups); n > 0 && groups[n-1].EventType == t.EventType && groups[n-1].Channel == t.Channel {
			g = groups[n-1]
		} else {
			g = &templateGroup{EventType: t.EventType, Channel: t.Channel, Latest: t}
			groups = append(groups, g)
		}
		g.Versions++
		if t.Active {
			t := t
			g.Active = &t
		}
	}
	p.Data = groups
	h.render(w, r, "templates", p)
}

// templateForm is the template editor's state.
type templateForm struct {
	EventType, Channel, Category, Title, Subject, Body, HTML string
	// Sample is the JSON object of sample variables for the preview.
	Sample string
	// From is the version the form was loaded from, if any.
	From *store.Template
}

func (f templateForm) template() store.Template {
	return store.Template{EventType: f.EventType, Channel: f.Channel, Category: f.Category, Title: f.Title, Subject: f.Subject, Body: f.Body, HTML: f.HTML}
}

// preview is a template rendered with sample variables.
type preview struct {
	Title, Subject, Body, HTML string
}

type editData struct {
	Form      templateForm
	Channels  []string
	Variables []string
	Preview   *preview
	Versions  []store.Template
	Problems  []string
}

// templateVariables lists the variables a template uses, in order, once each.
func templateVariables(t store.Template) []string {
	var out []string
	seen := map[string]bool{}
	for _, src := range []string{t.Title, t.Subject, t.Body, t.HTML} {
		for _, v := range render.Parse(src).Variables() {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// sampleVariables makes a JSON object with a readable sample for each
// variable, nested for dotted names.
func sampleVariables(names []string) string {
	root := map[string]any{}
	for _, name := range names {
		parts := strings.Split(name, ".")
		m := root
		for _, k := range parts[:len(parts)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		if _, ok := m[parts[len(parts)-1]].(map[string]any); !ok {
			m[parts[len(parts)-1]] = "Sample " + parts[len(parts)-1]
		}
	}
	b, _ := json.MarshalIndent(root, "", "  ")
	return string(b)
}

func (h *Handler) handleTemplateEdit(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "templates", "Edit template")
	if p == nil {
		return
	}
	q := r.URL.Query()
	form := templateForm{EventType: q.Get("eventType"), Channel: q.Get("channel")}
	if form.Channel == "" {
		form.Channel = delivery.ChannelEmail
	}
	var src *store.Template
	if id := q.Get("from"); id != "" {
		t, err := h.deps.Store.Template(r.Context(), p.Tenant.ID, id)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		src = &t
	} else if form.EventType != "" {
		versions, err := h.deps.Store.TemplateVersions(r.Context(), p.Tenant.ID, form.EventType, form.Channel)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for i := range versions {
			if versions[i].Active {
				src = &versions[i]
				break
			}
		}
		if src == nil && len(versions) > 0 {
			src = &versions[0]
		}
	}
	if src != nil {
		form = templateForm{EventType: src.EventType, Channel: src.Channel, Category: src.Category, Title: src.Title, Subject: src.Subject, Body: src.Body, HTML: src.HTML, From: src}
	}
	if form.EventType == "" {
		p.Title = "New template"
	}
	form.Sample = sampleVariables(templateVariables(form.template()))
	h.editPage(w, r, p, http.StatusOK, form, nil, nil)
}

func (h *Handler) editPage(w http.ResponseWriter, r *http.Request, p *page, status int, form templateForm, prev *preview, problems []string) {
	d := editData{Form: form, Channels: channels, Variables: templateVariables(form.template()), Preview: prev, Problems: problems}
	if form.EventType != "" {
		versions, err := h.deps.Store.TemplateVersions(r.Context(), p.Tenant.ID, form.EventType, form.Channel)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		d.Versions = versions
	}
	p.Data = d
	h.renderStatus(w, r, status, "template_edit", p)
}

func printable(s string) bool {
	for _, c := range s {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}

// validate returns every problem with the form at once.
func (f *templateForm) validate() []string {
	var out []string
	f.EventType = strings.TrimSpace(f.EventType)
	switch {
	case f.EventType == "":
		out = append(out, "Event type is required, e.g. order.confirmed.")
	case len(f.EventType) > 200 || !printable(f.EventType):
		out = append(out, "Event type must be at most 200 printable characters.")
	}
	known := false
	for _, c := range channels {
		known = known || f.Channel == c
	}
	if !known {
		out = append(out, "Channel must be EMAIL, SMS or PUSH.")
	}
	if strings.TrimSpace(f.Body) == "" {
		out = append(out, "Body is required: it is the text of the message (the plain-text part of an email).")
	}
	if f.Channel == delivery.ChannelEmail && strings.TrimSpace(f.Subject) == "" {
		out = append(out, "An email template needs a subject.")
	}
	if f.Channel == delivery.ChannelPush && strings.TrimSpace(f.Title) == "" {
		out = append(out, "An in-app (PUSH) template needs a title.")
	}
	for name, v := range map[string]string{"Category": f.Category, "Title": f.Title, "Subject": f.Subject, "Body": f.Body, "HTML": f.HTML} {
		if len(v) > maxTemplateField {
			out = append(out, fmt.Sprintf("%s must be at most %d KiB.", name, maxTemplateField>>10))
		}
	}
	if len(f.Category) > 100 {
		out = append(out, "Category must be at most 100 characters.")
	}
	return out
}

// render fills the template with the sample variables.
func (f templateForm) render() (*preview, error) {
	vars := map[string]any{}
	if s := strings.TrimSpace(f.Sample); s != "" {
		if err := json.Unmarshal([]byte(s), &vars); err != nil {
			return nil, fmt.Errorf("Sample variables must be a JSON object: %v", err)
		}
	}
	p := &preview{
		Title:   render.Parse(f.Title).Text(vars),
		Subject: render.Parse(f.Subject).Text(vars),
		Body:    render.Parse(f.Body).Text(vars),
	}
	if f.HTML != "" {
		p.HTML = render.Parse(f.HTML).HTML(vars)
	}
	return p, nil
}

func (h *Handler) handleTemplateSave(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "templates", "Edit template")
	if p == nil {
		return
	}
	pf := r.PostFormValue
	form := templateForm{EventType: pf("event_type"), Channel: pf("channel"), Category: strings.TrimSpace(pf("category")),
		Title: pf("title"), Subject: pf("subject"), Body: pf("body"), HTML: pf("html"), Sample: pf("sample")}
	// Fields that the channel does not use are not kept, so a saved template
	// shows only what is sent.
	switch form.Channel {
	case delivery.ChannelEmail:
		form.Title = ""
	case delivery.ChannelSMS:
		form.Title, form.Subject, form.HTML = "", "", ""
	case delivery.ChannelPush:
		form.Subject, form.HTML = "", ""
	}
	action := pf("action")
	if action == "preview" {
		prev, err := form.render()
		var problems []string
		if err != nil {
			problems = []string{err.Error()}
		}
		h.editPage(w, r, p, http.StatusOK, form, prev, problems)
		return
	}
	if problems := form.validate(); len(problems) > 0 {
		h.editPage(w, r, p, http.StatusUnprocessableEntity, form, nil, problems)
		return
	}
	t := form.template()
	t.ID = "tpl_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20]
	t.TenantID = p.Tenant.ID
	t.Active = action == "activate"
	t.CreatedAt = h.now()
	saved, err := h.deps.Store.SaveTemplate(r.Context(), t)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.deps.Dispatcher.ForgetTemplates(p.Tenant.ID)
	h.log.InfoContext(r.Context(), "admin saved template", "tenant_id", p.Tenant.ID, "event_type", saved.EventType, "channel", saved.Channel, "version", saved.Version, "active", saved.Active)
	msg := fmt.Sprintf("Saved %s %s as version %d (draft).", saved.EventType, saved.Channel, saved.Version)
	if saved.Active {
		msg = fmt.Sprintf("Saved and activated %s %s version %d.", saved.EventType, saved.Channel, saved.Version)
	}
	redirect(w, r, versionsURL(p.Tenant.ID, saved.EventType, saved.Channel), msg)
}

type versionsData struct {
	EventType, Channel string
	Versions           []store.Template
	Variables          map[string][]string
}

func (h *Handler) handleTemplateVersions(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "templates", "Template versions")
	if p == nil {
		return
	}
	q := r.URL.Query()
	d := versionsData{EventType: q.Get("eventType"), Channel: q.Get("channel"), Variables: map[string][]string{}}
	versions, err := h.deps.Store.TemplateVersions(r.Context(), p.Tenant.ID, d.EventType, d.Channel)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(versions) == 0 {
		h.notFound(w, r)
		return
	}
	d.Versions = versions
	for _, v := range versions {
		d.Variables[v.ID] = templateVariables(v)
	}
	p.Title = d.EventType + " · " + d.Channel
	p.Data = d
	h.render(w, r, "template_versions", p)
}

func (h *Handler) handleTemplateActive(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "templates", "")
	if p == nil {
		return
	}
	t, err := h.deps.Store.Template(r.Context(), p.Tenant.ID, r.PathValue("id"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	active := r.PostFormValue("active") == "1"
	if err := h.deps.Store.SetTemplateActive(r.Context(), p.Tenant.ID, t.ID, active); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.deps.Dispatcher.ForgetTemplates(p.Tenant.ID)
	msg := fmt.Sprintf("Version %d deactivated: %s no longer sends on %s (built-in global.* templates still apply).", t.Version, t.EventType, t.Channel)
	if active {
		msg = fmt.Sprintf("Version %d is now the active %s %s template.", t.Version, t.EventType, t.Channel)
	}
	h.log.InfoContext(r.Context(), "admin changed template status", "tenant_id", p.Tenant.ID, "template_id", t.ID, "active", active)
	redirect(w, r, versionsURL(p.Tenant.ID, t.EventType, t.Channel), msg)
}
