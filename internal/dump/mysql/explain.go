package mysql

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// scratchPrefix starts the name of every database a restore loads into
// before it replaces its target. A running restore holds a named lock of
// the database's name (see lease); one whose lock is free is a leftover of
// an interrupted restore, which SweepLeftovers drops.
const scratchPrefix = dump.ScratchPrefix

// scratchGrant is the grant a restoring user needs on scratch databases.
const scratchGrant = "GRANT ALL ON `gosqlguard\\_scratch\\_%`.* TO <user>"

// failure is what is known about a failed restore beyond its error.
type failure struct {
	// definerAt returns the DEFINER named on a line of the dump ("" if
	// none); nil when the error did not come from loading a dump.
	definerAt func(line int) string
	packet    int64 // the server's max_allowed_packet, 0 if unknown
	needed    int64 // the dump's longest statement, 0 if unknown
}

var (
	// reClientError matches the mariadb/mysql client's error line.
	reClientError = regexp.MustCompile(`ERROR (\d{4}) \([0-9A-Z]{5}\)(?: at line (\d+))?`)
	reNoDefiner   = regexp.MustCompile(`definer \('(.*)'@'(.*)'\) does not exist`)
)

// explainRestoreError puts the cause of a well-known failure, in words an
// operator can act on, in front of err (which it wraps). Other errors are
// returned as they are.
func explainRestoreError(err error, f failure) error {
	if err == nil {
		return nil
	}
	code, line := errorCode(err)
	msg := err.Error()
	var why string
	switch {
	case code == 1227 && (strings.Contains(msg, "SET USER") || strings.Contains(msg, "SUPER")):
		who := "an object's DEFINER names another user"
		if f.definerAt != nil {
			if d := f.definerAt(line); d != "" {
				who = "definer " + d
			}
		}
		why = who + ": the restoring user lacks SET USER (or SUPER), which creating an object owned by another user needs; " +
			"grant it to the restoring user, the one configured for the server restored onto (a drill's: its drill server's), " +
			"with GRANT SET USER ON *.* TO <user>"
	case code == 1449:
		d := "of an object"
		if m := reNoDefiner.FindStringSubmatch(msg); m != nil {
			d = "`" + m[1] + "`@`" + m[2] + "`"
		}
		why = "definer " + d + " does not exist on this server: create that user first; the objects it owns cannot run without it"
	case code == 1153 || strings.Contains(msg, "max_allowed_packet"):
		why = "a statement of the dump is larger than the server's max_allowed_packet" + packetAdvice(f)
	case code == 2006 || code == 2013:
		why = "the server closed the connection during the load: most often a statement larger than its max_allowed_packet" +
			packetAdvice(f) + "; otherwise see the server's error log"
	case (code == 1044 || code == 1142 || code == 1227) && strings.Contains(msg, scratchPrefix):
		why = "the restoring user needs CREATE, DROP, ALTER, INDEX, INSERT, SELECT, CREATE VIEW, SHOW VIEW, TRIGGER, " +
			"CREATE ROUTINE, ALTER ROUTINE, EVENT, LOCK TABLES and REFERENCES on `" + strings.ReplaceAll(scratchPrefix, "_", `\_`) +
			"%` databases, where a restore loads before it replaces the target (" + scratchGrant + ")"
	default:
		return err
	}
	return fmt.Errorf("%s: %w", why, err)
}

// packetAdvice says what max_allowed_packet should be, as far as known.
func packetAdvice(f failure) string {
	s := ""
	if f.packet > 0 {
		s = " (" + strconv.FormatInt(f.packet, 10) + " bytes)"
	}
	if f.needed > 0 {
		return s + "; raise max_allowed_packet to at least " + strconv.FormatInt(f.needed, 10) +
			" (SET GLOBAL max_allowed_packet, or in the server's configuration)"
	}
	return s + "; raise max_allowed_packet (up to 1G) in the server's configuration"
}

// errorCode returns the server error number of err and, for the client's
// errors, the dump line of the failing statement (0 if not known).
func errorCode(err error) (code, line int) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return int(me.Number), 0
	}
	m := reClientError.FindAllStringSubmatch(err.Error(), -1)
	if m == nil {
		return 0, 0
	}
	last := m[len(m)-1]
	code, _ = strconv.Atoi(last[1])
	line, _ = strconv.Atoi(last[2])
	return code, line
}
