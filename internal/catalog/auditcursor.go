package catalog

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// auditCursorPrefix marks an audit page cursor, so that one of another
// listing (the backups' cursor) is told apart.
const auditCursorPrefix = "a1:"

// EncodeAuditCursor returns the page cursor that follows an audit page
// whose last (oldest) entry has ID id: the next page holds the IDs below
// it. IDs only grow, so pages neither overlap nor skip while entries are
// added. The cursor is opaque to clients (base64url of "a1:<id>"); the API's
// next_cursor and the web page's "Older" link carry the same one.
func EncodeAuditCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(auditCursorPrefix + strconv.FormatInt(id, 10)))
}

// DecodeAuditCursor returns the entry ID of an EncodeAuditCursor cursor (to
// set AuditFilter.Before), and false for anything else.
func DecodeAuditCursor(c string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	s := string(raw)
	if err != nil || !strings.HasPrefix(s, auditCursorPrefix) {
		return 0, false
	}
	id, err := strconv.ParseInt(s[len(auditCursorPrefix):], 10, 64)
	return id, err == nil && id > 0
}
