package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orqestra.db")
	s, err := store.Open(context.Background(), "sqlite:"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func newTenant(t *testing.T, s *store.Store) string {
	t.Helper()
	tn, _, err := access.CreateTenant(context.Background(), s, access.NewTenant{Name: "Acme", RateLimit: 100}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tn.ID
}

const plainPassword = "sup3r-secret-smtp-password"

func smtpProvider(tenantID string, priority int, name string) provider.NewProvider {
	cfg, _ := json.Marshal(map[string]any{"host": "smtp.example.com", "username": "apikey", "password": plainPassword, "from": "no@acme.test"})
	return provider.NewProvider{TenantID: tenantID, Channel: "EMAIL", Kind: "smtp", Name: name, Priority: priority, Active: true, Config: cfg}
}

// TestProvidersCRUDAndSealing covers the store methods and proves the
// database never holds the plaintext credential.
func TestProvidersCRUDAndSealing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	box, err := provider.LoadKey(ctx, s, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tenantA, tenantB := newTenant(t, s), newTenant(t, s)

	second, err := provider.Add(ctx, s, box, smtpProvider(tenantA, 2, "backup"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first, err := provider.Add(ctx, s, box, smtpProvider(tenantA, 1, "primary"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sms, _ := json.Marshal(map[string]any{"accountSid": "AC" + strings.Repeat("0", 32), "authToken": "tok-123456789012", "from": "+15005550006"})
	if _, err := provider.Add(ctx, s, box, provider.NewProvider{TenantID: tenantA, Channel: "SMS", Kind: "twilio", Active: false, Config: sms}, time.Now()); err != nil {
		t.Fatal(err)
	}

	// The sealed column, read straight from the database file.
	var sealed string
	if err := s.Read.QueryRowContext(ctx, `SELECT config_sealed FROM providers WHERE id = $1`, first.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !secret.IsSealed(sealed) || strings.Contains(sealed, plainPassword) || strings.Contains(sealed, "smtp.example.com") {
		t.Fatalf("config_sealed is not sealed: %q", sealed)
	}
	var dump int
	if err := s.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM providers WHERE config_sealed LIKE $1`, "%"+plainPassword+"%").Scan(&dump); err != nil || dump != 0 {
		t.Fatalf("plaintext found in %d rows (%v)", dump, err)
	}

	got, err := s.Provider(ctx, tenantA, first.ID)
	if err != nil || got.Name != "primary" || got.Kind != "smtp" || got.Channel != "EMAIL" || !got.Active || got.Priority != 1 {
		t.Fatalf("Provider: %+v, %v", got, err)
	}
	plain, err := provider.OpenConfig(box, got)
	if err != nil || !strings.Contains(string(plain), plainPassword) {
		t.Fatalf("OpenConfig: %s, %v", plain, err)
	}
	masked, err := provider.MaskedConfig(box, got)
	if err != nil || strings.Contains(string(masked), plainPassword) || !strings.Contains(string(masked), "••••word") {
		t.Fatalf("MaskedConfig: %s, %v", masked, err)
	}

	// Tenant scoping: another tenant sees nothing, and a sealed blob moved
	// to another tenant's row does not open.
	if _, err := s.Provider(ctx, tenantB, first.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant's Provider: %v", err)
	}
	if err := s.DeleteProvider(ctx, tenantB, first.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant's DeleteProvider: %v", err)
	}
	moved := got
	moved.TenantID = tenantB
	if _, err := provider.OpenConfig(box, moved); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("moved blob opened: %v", err)
	}

	all, _ := s.Providers(ctx, tenantA)
	if len(all) != 3 {
		t.Fatalf("Providers: %d", len(all))
	}
	active, _ := s.ActiveProviders(ctx, tenantA, "EMAIL")
	if ids := []string{active[0].ID, active[1].ID}; len(active) != 2 || !slices.Equal(ids, []string{first.ID, second.ID}) {
		t.Fatalf("ActiveProviders order: %+v", active)
	}
	if smsActive, _ := s.ActiveProviders(ctx, tenantA, "SMS"); len(smsActive) != 0 {
		t.Fatalf("inactive provider listed: %+v", smsActive)
	}

	got.Active = false
	got.UpdatedAt = time.Now()
	if err := s.UpdateProvider(ctx, got); err != nil {
		t.Fatal(err)
	}
	if active, _ := s.ActiveProviders(ctx, tenantA, "EMAIL"); len(active) != 1 || active[0].ID != second.ID {
		t.Fatalf("after deactivating: %+v", active)
	}
	if err := s.DeleteProvider(ctx, tenantA, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provider(ctx, tenantA, second.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestAddReportsEveryProblem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	box, _ := provider.LoadKey(ctx, s, "", nil)
	tenantID := newTenant(t, s)
	_, err := provider.Add(ctx, s, box, provider.NewProvider{TenantID: tenantID, Channel: "SMS", Kind: "smtp", Priority: -1,
		Config: json.RawMessage(`{"host":"","from":"x"}`)}, time.Now())
	want := []string{"kind smtp delivers EMAIL, not SMS", "priority must be between 1 and 1000", "host is required", `from "x" is not a plain email address (put the display name in fromName)`}
	if got := provider.Problems(err); !slices.Equal(got, want) {
		t.Fatalf("problems\n got %q\nwant %q", got, want)
	}
}

// TestLoadKey: a generated key is stored once and reused (so the CLI and
// the engine agree); a configured key wins; a malformed one is an error.
func TestLoadKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openStore(t)
	box, err := provider.LoadKey(ctx, s, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tenantID := newTenant(t, s)
	p, err := provider.Add(ctx, s, box, smtpProvider(tenantID, 1, ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "smtp" {
		t.Fatalf("default name %q", p.Name)
	}
	// Another process on the same file (the CLI next to a server).
	s2, err := store.Open(ctx, "sqlite:"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	box2, err := provider.LoadKey(ctx, s2, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.OpenConfig(box2, p); err != nil {
		t.Fatalf("second process cannot open: %v", err)
	}
	other, err := provider.LoadKey(ctx, s2, secret.EncodeKey(secret.GenerateKey()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.OpenConfig(other, p); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("a different configured key opened the config: %v", err)
	}
	if _, err := provider.LoadKey(ctx, s2, "not-a-key", nil); err == nil || !strings.Contains(err.Error(), "ORQESTRA_SECRET_KEY") {
		t.Fatalf("malformed key: %v", err)
	}
}

// TestResolver: outbox without providers, priority order, inactive ones
// skipped, a rebuilt sender after an update, and an unopenable config
// turned into a permanent failure so fallback still works.
func TestResolver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	box, _ := provider.LoadKey(ctx, s, "", nil)
	tenantID := newTenant(t, s)
	outbox := &delivery.Outbox{Store: s, Now: time.Now}
	r := provider.NewResolver(provider.ResolverConfig{Store: s, Box: box, Outbox: outbox})

	got, err := r.Senders(ctx, tenantID, "EMAIL")
	if err != nil || len(got) != 1 || got[0].Name != provider.OutboxName || got[0].Sender != delivery.Sender(outbox) {
		t.Fatalf("no providers: %+v, %v", got, err)
	}
	b, _ := provider.Add(ctx, s, box, smtpProvider(tenantID, 2, "b"), time.Now())
	a, _ := provider.Add(ctx, s, box, smtpProvider(tenantID, 1, "a"), time.Now())
	got, _ = r.Senders(ctx, tenantID, "EMAIL")
	if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[0].Name != "a" {
		t.Fatalf("order: %+v", got)
	}
	again, _ := r.Senders(ctx, tenantID, "EMAIL")
	if again[0].Sender != got[0].Sender {
		t.Fatal("an unchanged provider was rebuilt")
	}
	if sms, _ := r.Senders(ctx, tenantID, "SMS"); len(sms) != 1 || sms[0].Name != provider.OutboxName {
		t.Fatalf("SMS: %+v", sms)
	}

	// Seal a's row for another tenant: it no longer opens.
	wrong, _ := box.Seal([]byte(`{}`), secret.AssociatedData("ten_other", a.ID))
	a.ConfigSealed = wrong
	a.UpdatedAt = a.UpdatedAt.Add(time.Second)
	if err := s.UpdateProvider(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, _ = r.Senders(ctx, tenantID, "EMAIL")
	if len(got) != 2 || got[0].ID != a.ID {
		t.Fatalf("after update: %+v", got)
	}
	_, err = got[0].Sender.Send(ctx, delivery.Message{DeliveryID: "d", Channel: "EMAIL", To: "x@example.com"})
	if !delivery.IsPermanent(err) || strings.Contains(err.Error(), plainPassword) {
		t.Fatalf("unopenable provider: %v", err)
	}
}
