package owner

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestRecordParse(t *testing.T) {
	for _, o := range []Owner{
		{Host: "db1", Boot: "5f0c2a8e-1d4b", Start: "4711", NS: "4026531836", PID: 12},
		{Host: "db1", Boot: "5f0c2a8e-1d4b", Start: "4711", PID: 12},
		{Host: "db1", Boot: "5f0c2a8e-1d4b", PID: 12},
		{Host: "db1", Start: "4711", PID: 12},
		{Host: "db1", PID: 12},
	} {
		if got := Parse(o.Record(), o.PID); got != o {
			t.Errorf("Parse(%q) = %+v, want %+v", o.Record(), got, o)
		}
	}
	if got := Self(); got.PID != os.Getpid() || got.Host == "" {
		t.Errorf("Self() = %+v", got)
	}
}

// startProcess starts a process that waits (this test binary when name is
// "", else name) and kills it at cleanup; it returns its PID.
func startProcess(t *testing.T, name string) int {
	t.Helper()
	cmd := exec.Command(name, "60")
	if name == "" {
		cmd = exec.Command(os.Args[0], "-test.run=^TestHelperWaitingProcess$")
		cmd.Env = append(os.Environ(), "GOSQLGUARD_TEST_WAIT=1")
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// TestHelperWaitingProcess is the process startProcess starts: another
// process of this program, as far as Gone can tell.
func TestHelperWaitingProcess(t *testing.T) {
	if os.Getenv("GOSQLGUARD_TEST_WAIT") != "1" {
		t.Skip("a helper process, run by startProcess")
	}
	time.Sleep(time.Minute)
}

func TestGone(t *testing.T) {
	me := Self()
	if me.Start == "" {
		t.Skip("no process start times here")
	}
	ours := Of(startProcess(t, ""))       // another process of this program
	other := Of(startProcess(t, "sleep")) // an unrelated program
	with := func(o Owner, f func(*Owner)) Owner { f(&o); return o }
	for _, tc := range []struct {
		name  string
		o     Owner
		alive bool
	}{
		{"this process", me, true},
		{"this process, recorded without start", with(me, func(o *Owner) { o.Start = "" }), true},
		{"this process, recorded by an older version", Owner{Host: me.Host, PID: me.PID}, true},
		{"another live process of this program", ours, true},
		{"another host", with(me, func(o *Owner) { o.Host += "-elsewhere"; o.PID = 1 << 22 }), true},
		{"no such process", with(me, func(o *Owner) { o.PID = 1<<22 + 12345 }), false},
		{"its ID now another process's", with(ours, func(o *Owner) { o.Start = "1" }), false},
		{"this process's ID, another start", with(me, func(o *Owner) { o.Start = "1" }), false},
		{"its ID now another program's", with(other, func(o *Owner) { o.Start = "" }), false},
		// Recorded with its start: the same process, whatever program uses
		// this code (a test binary, a renamed build); never a leftover.
		{"a live process of another program, recorded with its start", other, true},
		{"rebooted since", with(me, func(o *Owner) { o.Boot = "00000000-0000-0000-0000-000000000000" }), me.Boot == ""},
		// A container sharing the host name has PIDs of its own: its PID 1
		// is not ours, and nothing can be told from here.
		{"another PID namespace, no such process here", with(me, func(o *Owner) { o.NS = "1"; o.PID = 1<<22 + 12345 }), true},
		{"another PID namespace, its ID another process's here", with(ours, func(o *Owner) { o.NS = "1"; o.Start = "1" }), true},
		{"recorded before namespaces were kept", with(me, func(o *Owner) { o.NS = ""; o.PID = 1<<22 + 12345 }), false},
	} {
		// Through the recorded form, as the catalog keeps it.
		why := Parse(tc.o.Record(), tc.o.PID).Gone()
		if (why == "") != tc.alive {
			t.Errorf("%s: Gone() = %q, want alive=%v", tc.name, why, tc.alive)
		}
	}
}

func TestProcessStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/42", 0o755); err != nil {
		t.Fatal(err)
	}
	// A command name with spaces and parentheses.
	stat := "42 (a b) c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10\n"
	if err := os.WriteFile(dir+"/42/stat", []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := processStart(dir, 42); got != "987654" {
		t.Errorf("processStart = %q, want 987654", got)
	}
	if got := processStart(dir, 43); got != "" {
		t.Errorf("processStart(missing) = %q, want empty", got)
	}
}
