package httpapi

import "net/http"

// triggerRoute is the trigger's pattern; withTrace measures requests it routes.
const triggerRoute = "POST /api/v1/events/trigger"

// routes lists every route of the engine in one place.
func (s *Server) routes() {
	mux := s.mux
	mux.HandleFunc("GET /healthz", s.handleHealth)

	api := func(h http.HandlerFunc) http.Handler { return s.requireKey(h) }
	browser := func(h http.HandlerFunc) http.Handler { return s.cors(s.requirePrincipal(h)) }

	mux.Handle(triggerRoute, api(s.handleTrigger))
	mux.Handle("GET /api/v1/events/{eventId}", api(s.handleEvent))

	mux.Handle("POST /api/v1/auth/realtime-token", browser(s.handleRealtimeToken))
	mux.Handle("OPTIONS /api/v1/auth/realtime-token", s.cors(nil))
	mux.Handle("GET /api/v1/notifications/{tenantId}/{userId}", browser(s.handleHistory))
	mux.Handle("OPTIONS /api/v1/notifications/{tenantId}/{userId}", s.cors(nil))
	mux.Handle("PUT /api/v1/notifications/{tenantId}/{userId}/{notificationId}/read", browser(s.handleMarkRead))
	mux.Handle("OPTIONS /api/v1/notifications/{tenantId}/{userId}/{notificationId}/read", s.cors(nil))
	mux.Handle("PUT /api/v1/notifications/{tenantId}/{userId}/read-all", browser(s.handleMarkAllRead))
	mux.Handle("OPTIONS /api/v1/notifications/{tenantId}/{userId}/read-all", s.cors(nil))

	if s.deps.Realtime != nil {
		mux.Handle("/connection/websocket", s.deps.Realtime)
	}
	for pattern, h := range s.deps.Extra {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Cannot "+r.Method+" "+r.URL.Path)
	})
}
