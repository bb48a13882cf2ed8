package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// BenchmarkValidSignature is the X-Orqestra-Signature check of a 1 KiB body.
//
//	go test ./internal/httpapi -run '^$' -bench ValidSignature
func BenchmarkValidSignature(b *testing.B) {
	body := make([]byte, 1024)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	mac := hmac.New(sha256.New, []byte("whsec_bench"))
	mac.Write(body)
	sig := hex.EncodeToString(mac.Sum(nil))
	b.ReportAllocs()
	for b.Loop() {
		if !validSignature("whsec_bench", body, sig) {
			b.Fatal("signature rejected")
		}
	}
}
