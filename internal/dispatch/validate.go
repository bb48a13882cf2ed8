package dispatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/orqestra/orqestra/internal/delivery"
)

// Limits on trigger fields; the body as a whole is limited by the HTTP layer.
const (
	maxEventTypeLen = 200
	maxEventIDLen   = 200
	maxUserIDLen    = 255
	maxEmailLen     = 254
)

// ValidationError lists every problem with a request, readably.
type ValidationError struct {
	Messages []string
}

func (e *ValidationError) Error() string { return "invalid request: " + strings.Join(e.Messages, "; ") }

// ConflictError means the eventId was already used for another event.
type ConflictError struct{ EventID string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("eventId %q has already been used for another event", e.EventID)
}

// request is a validated trigger.
type request struct {
	EventType      string
	EventID        string
	Channels       []string // as asked; nil when not given
	UserID         string
	RecipientEmail string
	RecipientPhone string
	Payload        json.RawMessage
	Variables      map[string]any
	VariablesJSON  json.RawMessage
}

type rawRequest struct {
	EventType json.RawMessage `json:"eventType"`
	EventID   json.RawMessage `json:"eventId"`
	Channels  json.RawMessage `json:"channels"`
	Payload   json.RawMessage `json:"payload"`
	Variables json.RawMessage `json:"variables"`
}

type rawPayload struct {
	UserID         json.RawMessage `json:"userId"`
	RecipientEmail json.RawMessage `json:"recipientEmail"`
	RecipientPhone json.RawMessage `json:"recipientPhone"`
}

// parse decodes and checks a trigger body, collecting every problem. Template
// availability is checked later, once the request itself is sound.
func parse(body []byte) (request, []string) {
	var raw rawRequest
	if err := json.Unmarshal(body, &raw); err != nil {
		return request{}, []string{"request body must be a JSON object: " + jsonProblem(err)}
	}
	var r request
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if s, ok := stringField(raw.EventType); !ok {
		add("eventType must be a string")
	} else if s = strings.TrimSpace(s); s == "" {
		add("eventType should not be empty")
	} else if len(s) > maxEventTypeLen {
		add("eventType must be at most %d characters", maxEventTypeLen)
	} else if !printable(s) {
		add("eventType must not contain control characters")
	} else {
		r.EventType = s
	}

	if isAbsent(raw.EventID) {
		// generated later
	} else if s, ok := stringField(raw.EventID); !ok {
		add("eventId must be a string")
	} else if s == "" || len(s) > maxEventIDLen || !printable(s) || strings.ContainsAny(s, "/?#") {
		add("eventId must be 1 to %d printable characters without '/', '?' or '#'", maxEventIDLen)
	} else {
		r.EventID = s
	}

	if !isAbsent(raw.Channels) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw.Channels, &list); err != nil {
			add("channels must be an array of strings")
		} else if len(list) == 0 {
			add("channels should not be empty when given")
		} else {
			seen := map[string]bool{}
			for i, item := range list {
				s, ok := stringField(item)
				c := strings.ToUpper(strings.TrimSpace(s))
				if !ok || (c != delivery.ChannelEmail && c != delivery.ChannelSMS && c != delivery.ChannelPush) {
					add("channels[%d] must be one of EMAIL, SMS, PUSH", i)
					continue
				}
				if !seen[c] {
					seen[c] = true
					r.Channels = append(r.Channels, c)
				}
			}
		}
	}

	var p rawPayload
	if isAbsent(raw.Payload) {
		add("payload must be an object")
		add("payload.userId must be a string")
	} else if err := json.Unmarshal(raw.Payload, &p); err != nil || raw.Payload[0] != '{' {
		add("payload must be an object")
	} else {
		r.Payload = raw.Payload
		if s, ok := stringField(p.UserID); !ok {
			add("payload.userId must be a string")
		} else if s = strings.TrimSpace(s); s == "" {
			add("payload.userId should not be empty")
		} else if len(s) > maxUserIDLen || !printable(s) {
			add("payload.userId must be at most %d printable characters", maxUserIDLen)
		} else {
			r.UserID = s
		}
		if !isAbsent(p.RecipientEmail) {
			if s, ok := stringField(p.RecipientEmail); !ok || !validEmail(s) {
				add("payload.recipientEmail must be a valid email address")
			} else {
				r.RecipientEmail = s
			}
		}
		if !isAbsent(p.RecipientPhone) {
			if s, ok := stringField(p.RecipientPhone); !ok || !validE164(s) {
				add("payload.recipientPhone must be a phone number in E.164 format, e.g. +254712345678")
			} else {
				r.RecipientPhone = s
			}
		}
	}

	if !isAbsent(raw.Variables) {
		if raw.Variables[0] != '{' {
			add("variables must be an object")
		} else if err := json.Unmarshal(raw.Variables, &r.Variables); err != nil {
			add("variables must be an object")
		} else {
			r.VariablesJSON = raw.Variables
		}
	}
	if r.Variables == nil {
		r.Variables = map[string]any{}
		r.VariablesJSON = json.RawMessage("{}")
	}

	if strings.HasPrefix(r.EventType, "global.") {
		for _, name := range []string{"title", "message"} {
			if s, ok := r.Variables[name].(string); !ok || strings.TrimSpace(s) == "" {
				add("variables.%s must be a non-empty string for global.* event types", name)
			}
		}
	}
	for _, c := range r.Channels {
		switch {
		case c == delivery.ChannelEmail && r.RecipientEmail == "" && !hasProblem(problems, "payload.recipientEmail"):
			add("payload.recipientEmail is required for the EMAIL channel")
		case c == delivery.ChannelSMS && r.RecipientPhone == "" && !hasProblem(problems, "payload.recipientPhone"):
			add("payload.recipientPhone is required for the SMS channel")
		}
	}
	return r, problems
}

func hasProblem(problems []string, prefix string) bool {
	for _, p := range problems {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

func stringField(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if s, ok := plainString(raw); ok {
		return s, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// plainString decodes a JSON string literal that needs no unescaping (no
// backslash, no control character, valid UTF-8: what json.Unmarshal would
// return unchanged) without the decoder's reflection; most trigger fields are
// like that. Anything else is left to json.Unmarshal.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func validEmail(s string) bool {
	if len(s) > maxEmailLen || !strings.Contains(s, "@") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// validE164 accepts "+" then 8 to 15 digits, the first not zero.
func validE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("got a JSON %s", typ.Value)
	default:
		return strings.TrimPrefix(err.Error(), "json: ")
	}
}
