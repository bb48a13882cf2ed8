package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"testing"

	"github.com/orqestra/orqestra/client"
	"github.com/orqestra/orqestra/internal/enginetest"
)

// TestMain gives the examples an engine, configured the way a host is: via
// ORQESTRA_URL, ORQESTRA_API_KEY and ORQESTRA_WEBHOOK_SECRET.
func TestMain(m *testing.M) {
	const secret = "whsec_examples"
	tb := &mainTB{}
	e := startEngine(tb, enginetest.Tenant{Name: "Acme", WebhookSecret: secret})
	e.activate(tb, "user.registered", client.ChannelPush, client.ChannelEmail)
	e.activate(tb, "order.confirmed", client.ChannelPush, client.ChannelEmail, client.ChannelSMS)
	os.Setenv("ORQESTRA_URL", e.URL)
	os.Setenv("ORQESTRA_API_KEY", e.APIKey)
	os.Setenv("ORQESTRA_WEBHOOK_SECRET", secret)
	code := m.Run()
	tb.close()
	os.Exit(code)
}

// A new user registered: the tenant's active "user.registered" templates
// decide the channels. The idempotency key comes from the business fact, so
// even a resend after the caller crashed cannot welcome the user twice.
func ExampleClient_SendNotification() {
	c, err := client.New(os.Getenv("ORQESTRA_URL")) // key and secret from the environment
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.SendNotification(context.Background(), "user.registered",
		client.Payload{UserID: "user-123", RecipientEmail: "ada@example.com"},
		map[string]any{"firstName": "Ada", "appName": "Acme"},
		client.IdempotencyKey("user-123-registered"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Message)
	// Output: Event user.registered dispatched securely for Acme
}

// An order was confirmed: any variables the template uses go in variables.
func ExampleClient_SendNotification_orderConfirmed() {
	c, err := client.New(os.Getenv("ORQESTRA_URL"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.SendNotification(context.Background(), "order.confirmed",
		client.Payload{UserID: "user-123", RecipientEmail: "ada@example.com", RecipientPhone: "+254712345678"},
		map[string]any{"orderNumber": "A-1001", "amount": "$42.00"},
		client.IdempotencyKey("order-A-1001-confirmed"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Message)
	// Output: Event order.confirmed dispatched securely for Acme
}

// An urgent broadcast goes out by SMS only, for this one call. global.*
// event types have built-in templates that use title and message.
func ExampleClient_SendNotification_urgentSMS() {
	c, err := client.New(os.Getenv("ORQESTRA_URL"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.SendNotification(context.Background(), "global.alert",
		client.Payload{UserID: "user-123", RecipientPhone: "+254712345678"},
		map[string]any{"title": "Service outage", "message": "Payments are down; we are on it."},
		client.Channels(client.ChannelSMS))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Message)
	// Output: Event global.alert dispatched securely for Acme
}

// A password reset goes out by email only.
func ExampleClient_SendNotification_passwordReset() {
	c, err := client.New(os.Getenv("ORQESTRA_URL"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.SendNotification(context.Background(), "global.alert",
		client.Payload{UserID: "user-123", RecipientEmail: "ada@example.com"},
		map[string]any{
			"title":   "Reset your password",
			"message": "Use this link within 30 minutes: https://app.example.com/reset?t=...",
		},
		client.Channels(client.ChannelEmail))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Message)
	// Output: Event global.alert dispatched securely for Acme
}

// An answered failure is an *APIError: its status says whether sending again
// can help.
func ExampleAPIError() {
	c, err := client.New(os.Getenv("ORQESTRA_URL"), client.WithAPIKey("ok_revoked"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.SendNotification(context.Background(), "global.info",
		client.Payload{UserID: "user-123"}, map[string]any{"title": "Hi", "message": "Hello"})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
		fmt.Println("check ORQESTRA_API_KEY:", apiErr.Messages)
	}
	// Output: check ORQESTRA_API_KEY: [Invalid or inactive API key]
}

// The host mounts TokenHandler behind its own session check; the browser bell
// POSTs {"userId"} to it with its cookies and gets {"token","channels"}.
func ExampleClient_TokenHandler() {
	c, err := client.New(os.Getenv("ORQESTRA_URL"))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /orqestra/token", c.TokenHandler(func(r *http.Request) (string, bool) {
		return sessionUser(r) // the host's own session lookup
	}))
	// http.ListenAndServe(":3000", mux)
}

// sessionUser stands for the host application's session lookup.
func sessionUser(r *http.Request) (string, bool) {
	cookie, err := r.Cookie("session")
	if err != nil {
		return "", false
	}
	return cookie.Value, true // a real host looks the session up, never trusts the cookie value
}
