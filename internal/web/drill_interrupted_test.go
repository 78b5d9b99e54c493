package web

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// A drill stopped by a shutdown is neither proof nor failure.
func TestInterruptedDrillNeitherProvesNorFails(t *testing.T) {
	d := backup.Drill{At: time.Now(), Seconds: 2, Status: backup.DrillInterrupted, Server: "pg",
		Differences: []string{}, Error: "drill interrupted: context canceled"}
	if r := makeDrillRow(d); r.Result.Label != "Interrupted" || r.Result.Class == "bad" {
		t.Errorf("history row = %+v, want a muted Interrupted", r.Result)
	}
	if f := drillFlash(d); f.Kind == "error" || !strings.Contains(f.Message, "interrupted") {
		t.Errorf("flash = %+v, want no error, saying interrupted", f)
	}
	at := time.Now()
	j := service.Job{LastDrill: &at, LastDrillStatus: backup.DrillInterrupted, LastSuccess: &at}
	if c := classifyDrill(j); c.Failed || c.State != "never" {
		t.Errorf("job drill state = %+v, want not failed and not proven", c)
	}
}
