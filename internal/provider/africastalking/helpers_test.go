package africastalking_test

import (
	"net/http"

	"github.com/orqestra/orqestra/internal/provider/apicall"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func withClient(hc *http.Client) apicall.Option { return apicall.WithHTTPClient(hc) }
