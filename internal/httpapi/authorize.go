package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
)

// require serves next only to requests authenticated with at least role min,
// answering 401, 403 or 429 with a JSON error otherwise. The principal is in
// the request's context (auth.PrincipalFrom) and in its access log line. A
// zero min serves everyone.
func (s *Server) require(min auth.Role, next http.Handler) http.Handler {
	if min == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		if err == nil && !p.Can(min) {
			err = &httpError{http.StatusForbidden, "forbidden", fmt.Sprintf("this needs the %s role; the token has the %s role", min, p.Role)}
		}
		httpserve.SetPrincipal(r.Context(), p.Name)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func principalName(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	return p.Name
}
