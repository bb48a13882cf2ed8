// Package client is the Go SDK for the Orqestra notification engine.
//
// A host application's backend uses it to trigger events and to give its
// logged-in browser users access to their in-app inbox without the API key
// ever reaching the browser:
//
//	c, err := client.New("https://notifications.example.com")
//	// ORQESTRA_API_KEY and ORQESTRA_WEBHOOK_SECRET come from the environment.
//	res, err := c.SendNotification(ctx, "order.confirmed",
//		client.Payload{UserID: "u-42", RecipientEmail: "ada@example.com"},
//		map[string]any{"orderNumber": "A-1001", "amount": "$42.00"})
//
// SendNotification signs the JSON body with HMAC-SHA256 when a webhook secret
// is set, always sends an idempotency key (generating one when the caller gives
// none), and retries rate limits (429), server errors (5xx) and network errors
// at most three times with that same key and the very same body bytes, so a
// retry can never deliver twice. Failures the engine answered come back as
// *APIError; use errors.As to read the status, messages and retry-after.
//
// TokenHandler is an http.Handler to mount in the host backend: it hands the
// browser a short-lived user token (and its realtime channel) for the user
// the host's own session identifies.
//
// # Pre-flight: do this in the Admin UI before the code will work
//
//	┌──────────────────────────────────────────────────────────────────────┐
//	│ WARNING — nothing is delivered until the tenant is set up:           │
//	│                                                                      │
//	│ Step 1  Configure a delivery provider in Admin UI → Providers        │
//	│         (EMAIL and SMS need one; in-app PUSH does not).              │
//	│ Step 2  Create and ACTIVATE a notification template in               │
//	│         Admin UI → Templates. Its event type must exactly match the  │
//	│         string you pass to SendNotification ("order.confirmed").     │
//	│ Step 3  Test first with event type "global.info" and the variables   │
//	│         {"title": ..., "message": ...}: global.* event types have    │
//	│         built-in templates, so this works before Step 2.             │
//	└──────────────────────────────────────────────────────────────────────┘
//
// Keep ORQESTRA_API_KEY, ORQESTRA_WEBHOOK_SECRET and the tenant id in the
// server's environment; never hardcode them or send them to a browser.
package client
