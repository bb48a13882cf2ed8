package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	box, err := NewBox(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	ad := AssociatedData("tenant-1", "prov-1")
	plain := []byte(`{"password":"hunter2"}`)

	a, err := box.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	b, err := box.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two seals of the same value are equal: nonce not random")
	}
	if !strings.HasPrefix(a, "v1:") || !IsSealed(a) {
		t.Fatalf("sealed value %q lacks version prefix", a)
	}
	if strings.Contains(a, "hunter2") {
		t.Fatal("plaintext visible in sealed value")
	}
	got, err := box.Open(a, ad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, want %q", got, plain)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	box, _ := NewBox(GenerateKey())
	other, _ := NewBox(GenerateKey())
	ad := AssociatedData("tenant-1", "prov-1")
	sealed, err := box.Seal([]byte("s3cret"), ad)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	raw[len(raw)-1] ^= 1
	tampered := "v1:" + base64.RawURLEncoding.EncodeToString(raw)

	tests := []struct {
		name   string
		box    *Box
		sealed string
		ad     []byte
		want   error
	}{
		{"other tenant", box, sealed, AssociatedData("tenant-2", "prov-1"), ErrOpen},
		{"other provider", box, sealed, AssociatedData("tenant-1", "prov-2"), ErrOpen},
		{"shifted boundary", box, sealed, AssociatedData("tenant-1p", "rov-1"), ErrOpen},
		{"wrong key", other, sealed, ad, ErrOpen},
		{"tampered", box, tampered, ad, ErrOpen},
		{"no prefix", box, strings.TrimPrefix(sealed, "v1:"), ad, ErrMalformed},
		{"bad base64", box, "v1:!!!", ad, ErrMalformed},
		{"too short", box, "v1:AAAA", ad, ErrMalformed},
		{"future version", box, "v2:" + strings.TrimPrefix(sealed, "v1:"), ad, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.box.Open(tt.sealed, tt.ad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewBoxKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := NewBox(make([]byte, n)); err == nil {
			t.Errorf("NewBox accepted a %d-byte key", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := GenerateKey()
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"hex", hex.EncodeToString(key), ""},
		{"hex upper with newline", strings.ToUpper(hex.EncodeToString(key)) + "\n", ""},
		{"base64 std", base64.StdEncoding.EncodeToString(key), ""},
		{"base64 raw", base64.RawStdEncoding.EncodeToString(key), ""},
		{"base64 url", base64.URLEncoding.EncodeToString(key), ""},
		{"EncodeKey", EncodeKey(key), ""},
		{"empty", "  ", "empty"},
		{"short base64", base64.StdEncoding.EncodeToString(key[:16]), "16 bytes"},
		{"garbage", "not a key at all!", "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKey error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, key) {
				t.Fatalf("ParseKey = %x, want %x", got, key)
			}
		})
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "••••"},
		{"elevenchars", "••••"},
		{"SG.abcdefghijkl", "••••ijkl"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
