package apicall

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name, v string
		want    time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "30", 30 * time.Second},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"past date", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"huge", "999999", time.Hour},
		{"garbage", "soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		if got := RetryAfter(h, now); got != tt.want {
			t.Errorf("%s: RetryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status               int
		permanent, ratelimit bool
	}{
		{400, true, false}, {401, true, false}, {404, true, false}, {302, true, false},
		{408, false, false}, {429, false, true}, {500, false, false}, {503, false, false},
	}
	for _, tt := range tests {
		err := Classify(tt.status, 5*time.Second, "why")
		var rl *delivery.RateLimitedError
		if delivery.IsPermanent(err) != tt.permanent || errors.As(err, &rl) != tt.ratelimit {
			t.Errorf("Classify(%d) = %v: permanent=%v ratelimited=%v", tt.status, err, delivery.IsPermanent(err), rl != nil)
		}
		if !strings.Contains(err.Error(), "why") {
			t.Errorf("Classify(%d) lost the detail: %v", tt.status, err)
		}
	}
}

func TestDoBoundsAndRedacts(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", MaxResponseBytes*3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(big))
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	}))
	defer srv.Close()
	c := New(100 * time.Millisecond)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/big", nil)
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != MaxResponseBytes {
		t.Fatalf("read %d bytes, want cap %d", len(resp.Body), MaxResponseBytes)
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/redirect", nil)
	resp, err = c.Do(context.Background(), req)
	if err != nil || resp.Status != http.StatusFound {
		t.Fatalf("redirect followed or failed: %v %v", resp, err)
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/slow?token=SECRET", nil)
	req.SetBasicAuth("user", "PASSWORD")
	_, err = c.Do(context.Background(), req)
	if err == nil {
		t.Fatal("slow request did not time out")
	}
	if delivery.IsPermanent(err) {
		t.Fatalf("timeout classified permanent: %v", err)
	}
	if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "PASSWORD") {
		t.Fatalf("error leaks credentials: %v", err)
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"https://api.sendgrid.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost/x", true},
		{"http://[::1]:9", true},
		{"http://api.example.com", false},
		{"ftp://x", false},
		{"/relative", false},
		{"https://user:pw@host", false},
		{"https://host/#frag", false},
	}
	for _, tt := range tests {
		if err := CheckBaseURL("baseUrl", tt.in); (err == nil) != tt.ok {
			t.Errorf("CheckBaseURL(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}
