package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
)

//go:embed static/app.css static/app.js static/favicon.svg static/favicon.ico
var staticFS embed.FS

// faviconMaxAge is how long browsers may keep /favicon.ico, whose URL
// carries no version.
const faviconMaxAge = "86400"

// asset is one embedded static file. Its URL carries a hash of its content,
// so browsers may cache it for good and still see a new version at once.
type asset struct {
	body        []byte
	contentType string
	hash        string
	url         string
}

func loadAssets() (map[string]*asset, error) {
	types := map[string]string{
		"app.css":     "text/css; charset=utf-8",
		"app.js":      "text/javascript; charset=utf-8",
		"favicon.svg": "image/svg+xml",
		"favicon.ico": "image/x-icon",
	}
	out := map[string]*asset{}
	for name, ct := range types {
		body, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("web: static %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:6])
		out[name] = &asset{body: body, contentType: ct, hash: h, url: "/static/" + name + "?v=" + h}
	}
	return out, nil
}

// static serves an embedded file. It needs no session: nothing in it is
// private.
func (u *UI) static(w http.ResponseWriter, r *http.Request, rq *request) {
	a := u.assets[r.PathValue("name")]
	if a == nil {
		u.notFound(w, r, rq)
		return
	}
	cache := "no-cache"
	if r.URL.Query().Get("v") == a.hash {
		cache = "public, max-age=31536000, immutable"
	}
	serveAsset(w, r, a, cache)
}

// favicon serves GET /favicon.ico, which browsers and tools ask for
// whatever the page links, without a session and cacheable for a day.
func (u *UI) favicon(w http.ResponseWriter, r *http.Request, _ *request) {
	serveAsset(w, r, u.assets["favicon.ico"], "public, max-age="+faviconMaxAge)
}

// serveAsset writes a with the Cache-Control value cache, answering 304
// when the request's If-None-Match names its hash.
func serveAsset(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	h.Set("ETag", `"`+a.hash+`"`)
	h.Set("Cache-Control", cache)
	if match := r.Header.Get("If-None-Match"); match == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}
