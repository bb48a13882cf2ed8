package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/store"
)

// preflightUser is the user id the pre-flight test is sent to.
const preflightUser = "orqestra-preflight"

type preflightData struct {
	// Step 1: a delivery provider is configured.
	Providers []string
	// ProvidersReady is false until providers can be configured here.
	ProvidersReady bool
	// Step 2: the tenant's own active templates.
	Templates []store.Template
	// Step 3: the latest global.info event and what became of it.
	Last          *store.Event
	Deliveries    []store.Delivery
	Notifications []store.Notification
	Delivered     bool
	Failed        bool
	Pending       bool
	Email, Phone  string
}

func (h *Handler) handlePreflight(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "preflight", "Pre-flight")
	if p == nil {
		return
	}
	h.preflightPage(w, r, p, http.StatusOK, "", "")
}

func (h *Handler) preflightPage(w http.ResponseWriter, r *http.Request, p *page, status int, email, phone string) {
	ctx := r.Context()
	d := preflightData{Email: email, Phone: phone}
	var err error
	if d.Providers, d.ProvidersReady, err = h.providerSummary(ctx, p.Tenant.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Templates, err = h.deps.Store.ActiveTemplates(ctx, p.Tenant.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	events, _, err := h.deps.Store.RecentEvents(ctx, p.Tenant.ID, store.ActivityFilter{EventType: "global.info", Limit: 1})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(events) == 1 {
		e := events[0]
		d.Last = &e
		if d.Deliveries, err = h.deps.Store.EventDeliveries(ctx, p.Tenant.ID, e.ID); err != nil {
			h.serverError(w, r, err)
			return
		}
		if d.Notifications, err = h.deps.Store.EventNotifications(ctx, p.Tenant.ID, e.ID); err != nil {
			h.serverError(w, r, err)
			return
		}
		d.Delivered = len(d.Deliveries)+len(d.Notifications) > 0
		for _, dl := range d.Deliveries {
			switch dl.Status {
			case store.DeliverySent:
			case store.DeliveryFailed:
				d.Failed, d.Delivered = true, false
			default:
				d.Pending, d.Delivered = true, false
			}
		}
		if d.Email == "" && d.Phone == "" {
			var payload struct {
				RecipientEmail string `json:"recipientEmail"`
				RecipientPhone string `json:"recipientPhone"`
			}
			_ = json.Unmarshal([]byte(e.Payload), &payload)
			d.Email, d.Phone = payload.RecipientEmail, payload.RecipientPhone
		}
	}
	p.Data = d
	h.renderStatus(w, r, status, "preflight", p)
}

// handlePreflightSend sends the seed's step 3 test, global.info with title
// and message, through the same dispatcher as the trigger API: to the inbox
// of a pre-flight user, and by email and SMS when a recipient is given.
func (h *Handler) handlePreflightSend(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "preflight", "Pre-flight")
	if p == nil {
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	phone := strings.TrimSpace(r.PostFormValue("phone"))
	fail := func(msg string) {
		p.Error = msg
		h.preflightPage(w, r, p, http.StatusUnprocessableEntity, email, phone)
	}
	if !p.Tenant.Active {
		fail("This tenant is disabled; enable it before sending a test.")
		return
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			fail("Enter a plain email address like ops@example.com.")
			return
		}
	}
	payload := map[string]string{"userId": preflightUser}
	if email != "" {
		payload["recipientEmail"] = email
	}
	if phone != "" {
		payload["recipientPhone"] = phone
	}
	body, err := json.Marshal(map[string]any{
		"eventType": "global.info",
		"payload":   payload,
		"variables": map[string]string{
			"title":   "Orqestra pre-flight test",
			"message": "If you can read this, " + p.Tenant.Name + " is ready to send notifications.",
		},
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	res, err := h.deps.Dispatcher.Trigger(r.Context(), dispatch.Trigger{Tenant: *p.Tenant, Body: body})
	var ve *dispatch.ValidationError
	if errors.As(err, &ve) {
		fail(strings.Join(ve.Messages, "; "))
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "admin sent pre-flight test", "tenant_id", p.Tenant.ID, "event_id", res.EventID, "channels", res.Channels)
	redirect(w, r, "/admin/tenants/"+p.Tenant.ID+"/preflight", "Test sent on "+strings.Join(res.Channels, ", ")+" as event "+res.EventID+".")
}
