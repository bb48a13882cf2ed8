package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/orqestra/orqestra/internal/store"
)

const (
	sessionCookie = "orq_admin_session"
	// loginCookie holds the sign-in form's CSRF token (double submit), since
	// there is no session yet to keep it in.
	loginCookie = "orq_admin_login"
	csrfField   = "_csrf"
	maxFormSize = 1 << 20
)

type ctxKey struct{}

// session is the signed-in admin of a request.
type session struct {
	idHash string
	csrf   string
}

func sessionFrom(ctx context.Context) session {
	s, _ := ctx.Value(ctxKey{}).(session)
	return s
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// secure says whether cookies should be Secure: on TLS, directly or behind a
// proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
}

// authed requires a live session; POSTs also require the session's CSRF
// token. Without a session a page redirects to sign-in and a form is refused.
func (h *Handler) authed(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var s session
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && len(c.Value) < 200 {
			a, err := h.deps.Store.AdminSession(r.Context(), hashHex(c.Value), h.now())
			switch {
			case err == nil:
				s = session{idHash: a.IDHash, csrf: a.CSRFToken}
			case !errors.Is(err, store.ErrNotFound):
				h.serverError(w, r, err)
				return
			}
		}
		if s.idHash == "" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "Sign in first.", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if !h.checkForm(w, r, s.csrf) {
				return
			}
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	})
}

// checkForm parses a posted form within the size limit and checks its CSRF
// token against want, in constant time. A browser that says the request is
// cross-site is refused outright.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request, want string) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		http.Error(w, "Cross-site form posts are refused.", http.StatusForbidden)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return false
	}
	got := r.PostFormValue(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		http.Error(w, "The form has expired or did not come from this page. Go back, reload and try again.", http.StatusForbidden)
		return false
	}
	return true
}

func (h *Handler) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	h.loginPage(w, r, http.StatusOK, "")
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, status int, problem string) {
	w.Header().Set("Cache-Control", "no-store")
	csrf, err := randomString(24)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	setCookie(w, r, loginCookie, csrf, 3600)
	h.renderStatus(w, r, status, "login", &page{Title: "Sign in", Nav: "login", CSRF: csrf, Error: problem,
		Data: map[string]string{"Next": safeNext(r.FormValue("next"))}})
}

// safeNext keeps a post-sign-in redirect inside the admin UI.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/"
	}
	return next
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(loginCookie)
	want := ""
	if err == nil {
		want = c.Value
	}
	if !h.checkForm(w, r, want) {
		return
	}
	now := h.now()
	addr := clientAddr(r)
	if !h.limiter.allowed(addr, now) {
		h.loginPage(w, r, http.StatusTooManyRequests, "Too many failed attempts. Wait a few minutes and try again.")
		return
	}
	ok, err := h.tokenMatches(r.Context(), r.PostFormValue("token"))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.limiter.fail(addr, now)
		h.log.WarnContext(r.Context(), "admin sign-in failed", "remote", addr)
		h.loginPage(w, r, http.StatusUnauthorized, "That token is not right.")
		return
	}
	id, err := randomString(32)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	csrf, err := randomString(32)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.deps.Store.CreateAdminSession(r.Context(), store.AdminSession{
		IDHash: hashHex(id), CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(h.deps.SessionTTL),
	}); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "admin signed in", "remote", addr)
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, sessionCookie, id, int(h.deps.SessionTTL.Seconds()))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// tokenMatches compares the offered token with the configured one or the
// stored hash, in constant time over equal-length hashes.
func (h *Handler) tokenMatches(ctx context.Context, offered string) (bool, error) {
	if offered == "" || len(offered) > 512 {
		return false, nil
	}
	want := h.tokenHash
	if want == nil {
		stored, err := h.deps.Store.Setting(ctx, tokenSetting)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if want, err = hex.DecodeString(stored); err != nil {
			return false, nil
		}
	}
	got := sha256.Sum256([]byte(offered))
	return subtle.ConstantTimeCompare(got[:], want) == 1, nil
}

func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := h.deps.Store.DeleteAdminSession(r.Context(), sessionFrom(r.Context()).idHash); err != nil {
		h.serverError(w, r, err)
		return
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}
