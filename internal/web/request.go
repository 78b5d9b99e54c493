package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
)

// Limits of the UI's requests.
const (
	// maxForm is the largest form body accepted.
	maxForm = 64 << 10
	// pageWriteTimeout bounds writing an ordinary page. Verify, restore and
	// downloads lift it while they work, like the API's long routes.
	pageWriteTimeout = time.Minute
)

// request is what the UI knows about the request being served.
type request struct {
	id     string // request ID, as in the API's X-Request-ID and log
	sess   *session
	sessID string
	who    auth.Principal
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request)

// wrap gives a handler the request ID and the security headers of every UI
// response, and looks up the session. It requires nothing.
func (u *UI) wrap(next handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{id: httpserve.RequestID(r.Context())}
		if rq.id == "" { // served outside the httpserve middleware
			var b [8]byte
			_, _ = rand.Read(b[:])
			rq.id = hex.EncodeToString(b[:])
			w.Header().Set("X-Request-ID", rq.id)
		}
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("Cache-Control", "no-store")
		if c, err := r.Cookie(sessionCookie); err == nil {
			if sess := u.sessions.get(c.Value); sess != nil {
				rq.sess, rq.sessID, rq.who = sess, c.Value, sess.principal
			}
		}
		next(w, r, rq)
	})
}

// authorize establishes who makes the request. Without tokens configured
// (unauthenticated mode) everyone on localhost is admin, and a GET creates a
// session silently so that forms get a CSRF token. Otherwise a GET page
// without a session is sent to the login form, and anything else is refused.
func (u *UI) authorize(w http.ResponseWriter, r *http.Request, rq *request, isPage bool) bool {
	if u.auth.Unauthenticated() {
		p, err := u.auth.Check(r, "")
		if err != nil {
			u.fail(w, r, rq, err)
			return false
		}
		if rq.sess == nil {
			if !isPage {
				u.refuseForm(w, r, rq)
				return false
			}
			rq.sessID, rq.sess = u.sessions.create(p)
			u.setSessionCookie(w, rq.sessID)
		}
		rq.who = p
		httpserve.SetPrincipal(r.Context(), rq.who.Name) // the access log's and the audit trail's actor
		return true
	}
	if rq.sess != nil {
		httpserve.SetPrincipal(r.Context(), rq.who.Name)
		return true
	}
	if !isPage {
		u.refuseForm(w, r, rq)
		return false
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		// A link followed from another site arrives without the SameSite=
		// Strict cookie; a same-origin reload of the page brings it.
		u.bounce(w, r)
		return false
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return false
}

// page serves a GET page to principals with at least role min.
func (u *UI) page(min auth.Role, h handlerFunc) http.Handler {
	return u.wrap(func(w http.ResponseWriter, r *http.Request, rq *request) {
		httpserve.SetWriteDeadline(w, pageWriteTimeout)
		if !u.authorize(w, r, rq, true) {
			return
		}
		if !rq.who.Can(min) {
			u.forbidden(w, r, rq, min)
			return
		}
		h(w, r, rq)
	})
}

// action serves a POSTed form to principals with at least role min, after
// checking that the request is same-origin and carries the session's CSRF
// token.
func (u *UI) action(min auth.Role, h handlerFunc) http.Handler {
	return u.wrap(func(w http.ResponseWriter, r *http.Request, rq *request) {
		httpserve.SetWriteDeadline(w, pageWriteTimeout)
		if !u.parseForm(w, r, rq) {
			return
		}
		if !u.authorize(w, r, rq, false) {
			return
		}
		if !rq.sess.validCSRF(r.PostForm.Get("csrf")) {
			u.refuseForm(w, r, rq)
			return
		}
		if !rq.who.Can(min) {
			u.forbidden(w, r, rq, min)
			return
		}
		h(w, r, rq)
	})
}

// parseForm refuses cross-origin posts and reads a form body of at most
// maxForm bytes.
func (u *UI) parseForm(w http.ResponseWriter, r *http.Request, rq *request) bool {
	if err := u.cop.Check(r); err != nil {
		u.logger.Warn("cross-origin form post refused", "request_id", rq.id, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		u.errorPage(w, r, rq, http.StatusForbidden, "Request refused",
			"This form was sent from another site, so GoSQLGuard did not act on it.")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			u.errorPage(w, r, rq, http.StatusRequestEntityTooLarge, "Form too large",
				fmt.Sprintf("The form sent more than %d bytes.", maxForm))
			return false
		}
		u.errorPage(w, r, rq, http.StatusBadRequest, "Malformed form", "The form could not be read. Reload the page and try again.")
		return false
	}
	return true
}

// refuseForm answers a POST without a valid session or CSRF token.
func (u *UI) refuseForm(w http.ResponseWriter, r *http.Request, rq *request) {
	u.logger.Warn("form refused: no session or wrong CSRF token", "request_id", rq.id, "path", r.URL.Path)
	msg := "This form has expired or did not come from this page. Reload the page and try again."
	if rq.sess == nil && !u.auth.Unauthenticated() {
		msg = "You are not logged in, or your session has ended. Log in and try again."
	}
	u.errorPage(w, r, rq, http.StatusForbidden, "Form refused", msg)
}

// forbidden answers a request that needs a higher role.
func (u *UI) forbidden(w http.ResponseWriter, r *http.Request, rq *request, min auth.Role) {
	u.logger.Warn("UI request refused: role too low", "request_id", rq.id, "path", r.URL.Path,
		"by", rq.who.Name, "role", rq.who.Role.String(), "needs", min.String())
	u.errorPage(w, r, rq, http.StatusForbidden, "Not allowed",
		fmt.Sprintf("This needs the %s role; you are logged in as %s with the %s role.", min, rq.who.Name, rq.who.Role))
}

// bounce answers with a page that reloads the same URL from this origin.
func (u *UI) bounce(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	target := r.URL.RequestURI()
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") {
		target = "/"
	}
	_ = u.pages["bounce"].execute(w, map[string]string{"URL": target})
}

func (u *UI) setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/",
		HttpOnly: true, Secure: u.secure, SameSite: http.SameSiteStrictMode,
	})
}

func (u *UI) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: u.secure, SameSite: http.SameSiteStrictMode,
	})
}

// seeOther redirects after a POST.
func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, else "/".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	p, err := url.Parse(next)
	if err != nil || p.Scheme != "" || p.Host != "" || strings.HasPrefix(p.Path, "/login") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
