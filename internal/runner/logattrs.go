package runner

import (
	"log/slog"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// errorAttr is the "error" attribute of a log line holding msg, or the empty
// attribute, which slog handlers drop, when msg is "": a success does not
// log error="".
func errorAttr(msg string) slog.Attr {
	if msg == "" {
		return slog.Attr{}
	}
	return slog.String("error", msg)
}

// errAttr is errorAttr of err's message; nil gives the empty attribute.
func errAttr(err error) slog.Attr {
	if err == nil {
		return slog.Attr{}
	}
	return errorAttr(err.Error())
}

// backupLevel is the level a finished backup is logged at: INFO for a
// success, WARN for a partial (some storages failed) or interrupted
// (stopped by a shutdown or Ctrl-C) one, ERROR for a failure.
func backupLevel(s backup.Status) slog.Level {
	switch s {
	case backup.StatusSuccess:
		return slog.LevelInfo
	case backup.StatusPartial, backup.StatusInterrupted:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// drillLevel is the level a finished restore drill is logged at: INFO for a
// success, WARN for an interrupted drill, ERROR for a failure.
func drillLevel(s backup.DrillStatus) slog.Level {
	switch s {
	case backup.DrillSuccess:
		return slog.LevelInfo
	case backup.DrillInterrupted:
		return slog.LevelWarn
	}
	return slog.LevelError
}
