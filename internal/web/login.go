package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
)

// loginData is the content of the login page.
type loginData struct {
	Next  string
	Error string
}

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request, rq *request) {
	next := safeNext(r.URL.Query().Get("next"))
	if u.auth.Unauthenticated() || rq.sess != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	u.render(w, r, rq, http.StatusOK, "login", u.newView(rq, "Log in", "", loginData{Next: next}))
}

// login checks a token with the API's authenticator (and its failure rate
// limit) and, when it is valid, starts a new session. The token itself is
// neither stored nor echoed.
func (u *UI) login(w http.ResponseWriter, r *http.Request, rq *request) {
	httpserve.SetWriteDeadline(w, pageWriteTimeout)
	if !u.parseForm(w, r, rq) {
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if u.auth.Unauthenticated() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	p, err := u.auth.Check(r, token)
	if err != nil {
		status, msg := http.StatusUnauthorized, "That token is not valid. Check it and try again."
		var rl *auth.RateLimitedError
		switch {
		case errors.As(err, &rl):
			pr := u.describe(r, rq, err)
			status, msg = pr.status, pr.message
			for k, vs := range pr.header {
				w.Header()[k] = vs
			}
		case token == "":
			msg = "Enter your API token."
		}
		rq.sess = nil // a failed login shows the logged-out page
		u.render(w, r, rq, status, "login", u.newView(rq, "Log in", "", loginData{Next: next, Error: msg}))
		return
	}
	if rq.sessID != "" {
		u.sessions.delete(rq.sessID) // a new login gets a new session ID
	}
	id, _ := u.sessions.create(p)
	u.setSessionCookie(w, id)
	u.logger.Info("UI login", "request_id", rq.id, "by", p.Name, "role", p.Role.String())
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, rq *request) {
	u.sessions.delete(rq.sessID)
	u.clearSessionCookie(w)
	u.logger.Info("UI logout", "request_id", rq.id, "by", rq.who.Name)
	if u.auth.Unauthenticated() {
		seeOther(w, r, "/")
		return
	}
	seeOther(w, r, "/login")
}
