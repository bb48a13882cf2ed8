package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/orqestra/orqestra/internal/store"
)

// deliveryStatuses are the statuses the activity filter offers.
var deliveryStatuses = []string{store.DeliveryQueued, store.DeliverySending, store.DeliverySent, store.DeliveryRetrying, store.DeliveryFailed}

type activityRow struct {
	store.Event
	Deliveries []store.Delivery
}

type activityData struct {
	Filter   store.ActivityFilter
	Statuses []string
	Rows     []activityRow
	// Next is the URL of the next (older) page, if any.
	Next string
}

func (h *Handler) handleActivity(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "activity", "Activity")
	if p == nil {
		return
	}
	q := r.URL.Query()
	f := store.ActivityFilter{
		EventType: strings.TrimSpace(q.Get("eventType")),
		UserID:    strings.TrimSpace(q.Get("user")),
		Status:    q.Get("status"),
		Limit:     50,
	}
	if f.Status != "" && !contains(deliveryStatuses, f.Status) {
		f.Status = ""
	}
	if c := q.Get("before"); c != "" {
		cur, err := store.ParseActivityCursor(c)
		if err == nil {
			f.Before = &cur
		}
	}
	events, next, err := h.deps.Store.RecentEvents(r.Context(), p.Tenant.ID, f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	byEvent, err := h.deps.Store.DeliveriesOfEvents(r.Context(), p.Tenant.ID, ids)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := activityData{Filter: f, Statuses: deliveryStatuses}
	for _, e := range events {
		d.Rows = append(d.Rows, activityRow{Event: e, Deliveries: byEvent[e.ID]})
	}
	if next != nil {
		v := url.Values{"before": {next.String()}}
		for k, val := range map[string]string{"eventType": f.EventType, "user": f.UserID, "status": f.Status} {
			if val != "" {
				v.Set(k, val)
			}
		}
		d.Next = "/admin/tenants/" + p.Tenant.ID + "/activity?" + v.Encode()
	}
	p.Data = d
	h.render(w, r, "activity", p)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type eventData struct {
	Event         store.Event
	Deliveries    []store.Delivery
	Notifications []store.Notification
}

func (h *Handler) handleEvent(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "activity", "Event")
	if p == nil {
		return
	}
	e, err := h.deps.Store.Event(r.Context(), p.Tenant.ID, r.PathValue("eid"))
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	d := eventData{Event: e}
	if d.Deliveries, err = h.deps.Store.EventDeliveries(r.Context(), p.Tenant.ID, e.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Notifications, err = h.deps.Store.EventNotifications(r.Context(), p.Tenant.ID, e.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	p.Title = e.EventType
	p.Data = d
	h.render(w, r, "event", p)
}

func (h *Handler) handleOutbox(w http.ResponseWriter, r *http.Request) {
	p := h.tenantPage(w, r, "outbox", "Outbox")
	if p == nil {
		return
	}
	msgs, err := h.deps.Store.OutboxMessages(r.Context(), p.Tenant.ID, 100)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p.Data = msgs
	h.render(w, r, "outbox", p)
}
