package httpserve

import (
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/service"
)

// WriteTimeout bounds writing an ordinary response, and each chunk of a long
// one (a download renews it before each chunk, so a stalled client is
// dropped but a slow one is not).
const WriteTimeout = time.Minute

// SetWriteDeadline gives the next writes to w d to complete (0: no
// deadline). Deadlines are on the real clock, whatever clock the caller
// was given.
func SetWriteDeadline(w http.ResponseWriter, d time.Duration) {
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	_ = http.NewResponseController(w).SetWriteDeadline(t)
}

// storageName is what a storage name looks like (the config enforces the
// same); only such a name goes into the X-Backup-Storage header.
var storageName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// StreamDownload sends a stored object as an attachment named after its key.
// Once the headers are out, a failure to read or write breaks the connection,
// so a client never takes a cut stream for a whole one. attrs go to the logs.
func StreamDownload(w http.ResponseWriter, r *http.Request, logger *slog.Logger, id string, body io.Reader, info service.DownloadInfo, attrs ...any) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(info.Filename, id)}))
	if info.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	}
	if info.Storage != "" && storageName.MatchString(info.Storage) {
		h.Set("X-Backup-Storage", info.Storage)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return // the headers only: no download (the access log has the request)
	}
	attrs = append([]any{"id", id, "storage", info.Storage}, attrs...)
	logger.Info("backup download started", attrs...)
	if n, err := copyRenewing(w, body); err != nil {
		logger.Warn("backup download interrupted", append(attrs, "bytes", n, "error", err)...)
		panic(http.ErrAbortHandler)
	}
}

// copyRenewing copies src to w, renewing the write deadline before each chunk.
func copyRenewing(w http.ResponseWriter, src io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		m, rerr := src.Read(buf)
		if m > 0 {
			SetWriteDeadline(w, WriteTimeout)
			k, werr := w.Write(buf[:m])
			n += int64(k)
			if werr != nil {
				return n, werr
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// downloadName is the last path element of name with only portable
// characters kept; the ID with ".bin" when nothing usable is left.
func downloadName(name, id string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
	if strings.Trim(name, "._") == "" {
		return id + ".bin"
	}
	return name
}
