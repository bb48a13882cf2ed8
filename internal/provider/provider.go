// Package provider turns a stored provider row (a kind and a JSON config)
// into a delivery.Sender, and gives the admin UI and CLI what they need
// around that: which channels a kind serves, validation with every problem
// listed, a masked view of the config for display, and key=value parsing for
// `orqestra provider add --set key=value`.
//
// The providers themselves live in the sub-packages (smtp, sendgrid, twilio,
// africastalking, webhook); the "outbox" kind stays in package delivery.
package provider

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/africastalking"
	"github.com/orqestra/orqestra/internal/provider/apicall"
	"github.com/orqestra/orqestra/internal/provider/sendgrid"
	"github.com/orqestra/orqestra/internal/provider/smtp"
	"github.com/orqestra/orqestra/internal/provider/twilio"
	"github.com/orqestra/orqestra/internal/provider/webhook"
	"github.com/orqestra/orqestra/internal/secret"
)

// Provider kinds, as stored and as typed on the CLI.
const (
	KindSMTP           = "smtp"
	KindSendGrid       = "sendgrid"
	KindTwilio         = "twilio"
	KindAfricasTalking = "africastalking"
	KindWebhook        = "webhook"
)

// ErrUnknownKind is returned for a kind this package does not build.
var ErrUnknownKind = errors.New("unknown provider kind")

// maxConfigBytes bounds a stored or submitted config document.
const maxConfigBytes = 16 << 10

// Options are the process-wide dependencies Build passes to every sender;
// the zero value is right for production.
type Options struct {
	// HTTPClient is used by the HTTP providers; nil for the default, which
	// does not follow redirects.
	HTTPClient *http.Client
	// TLSConfig is the base TLS client config for SMTP (tests add RootCAs).
	TLSConfig *tls.Config
	// Now is the clock (Date headers, rate-limit arithmetic); nil for time.Now.
	Now func() time.Time
}

// validator is what every provider Config implements.
type validator interface{ Validate() error }

type spec struct {
	channels []string
	// secrets are the JSON keys masked for display.
	secrets []string
	// newConfig returns a pointer to a zero Config.
	newConfig func() validator
	build     func(cfg validator, o Options) (delivery.Sender, error)
}

func httpOpts(o Options) []apicall.Option {
	return []apicall.Option{apicall.WithHTTPClient(o.HTTPClient), apicall.WithClock(o.Now)}
}

func lookup(kind string) (spec, error) {
	email, sms := []string{delivery.ChannelEmail}, []string{delivery.ChannelSMS}
	switch kind {
	case KindSMTP:
		return spec{email, []string{"password"}, func() validator { return new(smtp.Config) },
			func(c validator, o Options) (delivery.Sender, error) {
				opts := []smtp.Option{smtp.WithTLSConfig(o.TLSConfig)}
				if o.Now != nil {
					opts = append(opts, smtp.WithClock(o.Now))
				}
				return smtp.New(*c.(*smtp.Config), opts...)
			}}, nil
	case KindSendGrid:
		return spec{email, []string{"apiKey"}, func() validator { return new(sendgrid.Config) },
			func(c validator, o Options) (delivery.Sender, error) {
				return sendgrid.New(*c.(*sendgrid.Config), httpOpts(o)...)
			}}, nil
	case KindTwilio:
		return spec{sms, []string{"authToken"}, func() validator { return new(twilio.Config) },
			func(c validator, o Options) (delivery.Sender, error) {
				return twilio.New(*c.(*twilio.Config), httpOpts(o)...)
			}}, nil
	case KindAfricasTalking:
		return spec{sms, []string{"apiKey"}, func() validator { return new(africastalking.Config) },
			func(c validator, o Options) (delivery.Sender, error) {
				return africastalking.New(*c.(*africastalking.Config), httpOpts(o)...)
			}}, nil
	case KindWebhook:
		return spec{[]string{delivery.ChannelEmail, delivery.ChannelSMS}, []string{"secret", "headers"},
			func() validator { return new(webhook.Config) },
			func(c validator, o Options) (delivery.Sender, error) {
				return webhook.New(*c.(*webhook.Config), httpOpts(o)...)
			}}, nil
	}
	return spec{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, kind, strings.Join(Kinds(), ", "))
}

// Kinds lists the kinds Build accepts.
func Kinds() []string {
	return []string{KindSMTP, KindSendGrid, KindTwilio, KindAfricasTalking, KindWebhook}
}

// Channels reports which channels a kind can deliver: EMAIL for smtp and
// sendgrid, SMS for twilio and africastalking, both for webhook.
func Channels(kind string) ([]string, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	return slices.Clone(s.channels), nil
}

// Serves reports whether kind can deliver on channel.
func Serves(kind, channel string) bool {
	s, err := lookup(kind)
	return err == nil && slices.Contains(s.channels, channel)
}

// decode reads a config strictly: unknown keys and trailing data are
// errors, so a typo ("hots") is reported instead of silently ignored.
func decode(kind string, config []byte) (spec, validator, error) {
	s, err := lookup(kind)
	if err != nil {
		return spec{}, nil, err
	}
	if len(config) > maxConfigBytes {
		return spec{}, nil, fmt.Errorf("%s config: larger than %d bytes", kind, maxConfigBytes)
	}
	cfg := s.newConfig()
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return spec{}, nil, fmt.Errorf("%s config: %w", kind, errors.Join(jsonProblem(err)))
	}
	if dec.More() {
		return spec{}, nil, fmt.Errorf("%s config: %w", kind, errors.Join(errors.New("trailing data after the JSON object")))
	}
	return s, cfg, nil
}

// jsonProblem rewrites encoding/json errors in config vocabulary.
func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("%s must be a %s", typeErr.Field, typeName(typeErr.Type))
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown key %s", msg)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "number"
	case reflect.Bool:
		return "boolean (true/false)"
	case reflect.Map:
		return "object of strings"
	}
	return t.Kind().String()
}

// Validate decodes config for kind and reports every problem at once. Use
// Problems to list them one per line or as a 422 message array.
func Validate(kind string, config []byte) error {
	_, cfg, err := decode(kind, config)
	if err != nil {
		return err
	}
	return cfg.Validate()
}

// Build returns the Sender for a stored provider. config is the plaintext
// JSON (open it with secret.Box first).
func Build(kind string, config []byte, opts Options) (delivery.Sender, error) {
	s, cfg, err := decode(kind, config)
	if err != nil {
		return nil, err
	}
	return s.build(cfg, opts)
}

// Problems lists the individual problems inside a Validate, Build or
// ParseSettings error (they are joined with errors.Join), without the
// "<kind> config:" prefix. Any other error gives one entry.
func Problems(err error) []string {
	if err == nil {
		return nil
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			var out []string
			for _, p := range j.Unwrap() {
				out = append(out, p.Error())
			}
			return out
		}
	}
	return []string{err.Error()}
}

// Mask returns the config as JSON for display, with secrets (password,
// apiKey, authToken, webhook secret and header values) replaced by
// secret.Mask: bullets and at most the last four characters.
func Mask(kind string, config []byte) (json.RawMessage, error) {
	s, cfg, err := decode(kind, config)
	if err != nil {
		return nil, err
	}
	v := reflect.ValueOf(cfg).Elem()
	for i := range v.NumField() {
		name := jsonName(v.Type().Field(i))
		if !slices.Contains(s.secrets, name) {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(secret.Mask(f.String()))
		case reflect.Map:
			masked := reflect.MakeMapWithSize(f.Type(), f.Len())
			for _, k := range f.MapKeys() {
				masked.SetMapIndex(k, reflect.ValueOf(secret.Mask(f.MapIndex(k).String())))
			}
			f.Set(masked)
		}
	}
	return json.Marshal(cfg)
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// Key describes one config key, for CLI help and error messages.
type Key struct {
	Name   string // JSON / --set name
	Type   string // "string", "number", "boolean" or "map" (set as name.sub=value)
	Secret bool   // masked for display
}

// Keys lists the config keys of kind in declaration order.
func Keys(kind string) ([]Key, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	t := reflect.TypeOf(s.newConfig()).Elem()
	keys := make([]Key, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		typ := "string"
		switch f.Type.Kind() {
		case reflect.Int:
			typ = "number"
		case reflect.Bool:
			typ = "boolean"
		case reflect.Map:
			typ = "map"
		}
		name := jsonName(f)
		keys = append(keys, Key{Name: name, Type: typ, Secret: slices.Contains(s.secrets, name)})
	}
	return keys, nil
}

// ParseSettings builds a config from CLI `key=value` pairs (map keys as
// `headers.Name=value`), converts numbers and booleans, and validates the
// result. The error lists every problem, parse and validation alike.
func ParseSettings(kind string, pairs []string) (json.RawMessage, error) {
	keys, err := Keys(kind)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]Key, len(keys))
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		byName[k.Name] = k
		names = append(names, k.Name)
	}
	out := map[string]any{}
	seen := map[string]bool{}
	var problems []error
	for _, pair := range pairs {
		name, value, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			problems = append(problems, fmt.Errorf("%q: expected key=value", pair))
			continue
		}
		base, sub, isSub := strings.Cut(name, ".")
		k, known := byName[base]
		switch {
		case !known:
			problems = append(problems, fmt.Errorf("unknown key %q for %s (keys: %s)", base, kind, strings.Join(names, ", ")))
			continue
		case seen[name]:
			problems = append(problems, fmt.Errorf("key %q given twice", name))
			continue
		case k.Type == "map" && (!isSub || sub == ""):
			problems = append(problems, fmt.Errorf("%s is a map: set it as %s.NAME=value", base, base))
			continue
		case k.Type != "map" && isSub:
			problems = append(problems, fmt.Errorf("unknown key %q for %s (keys: %s)", name, kind, strings.Join(names, ", ")))
			continue
		}
		seen[name] = true
		switch k.Type {
		case "number":
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil {
				problems = append(problems, fmt.Errorf("%s must be a whole number, got %q", name, value))
				continue
			}
			out[name] = n
		case "boolean":
			b, err := strconv.ParseBool(strings.TrimSpace(value))
			if err != nil {
				problems = append(problems, fmt.Errorf("%s must be true or false, got %q", name, value))
				continue
			}
			out[name] = b
		case "map":
			m, _ := out[base].(map[string]string)
			if m == nil {
				m = map[string]string{}
				out[base] = m
			}
			m[sub] = value
		default:
			out[name] = value
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s settings: %w", kind, errors.Join(problems...))
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("%s settings: %w", kind, err)
	}
	if err := Validate(kind, raw); err != nil {
		return nil, err
	}
	return raw, nil
}
