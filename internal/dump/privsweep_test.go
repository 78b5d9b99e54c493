package dump

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/owner"
)

// The private dirs of processes that are gone are removed; those of live
// processes, and anything not named as NewPrivateDir names it, are kept.
func TestSweepPrivateDirs(t *testing.T) {
	base := t.TempDir()
	mine, err := NewPrivateDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mine.WriteFile("client.cnf", []byte("[client]\npassword=x\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(mine.Path()), privateDirPrefix+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("private dir %s is not named for this process", mine.Path())
	}
	me := owner.Self()
	mk := func(name string, file bool) string {
		t.Helper()
		p := filepath.Join(base, name)
		var err error
		if file {
			err = os.WriteFile(p, nil, 0o600)
		} else {
			err = os.Mkdir(p, 0o700)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	killed := mk(privateDirPrefix+"4206969-0-123", false) // above pid_max: gone
	if _, err := os.Create(filepath.Join(killed, "client.cnf")); err != nil {
		t.Fatal(err)
	}
	reused := mk(privateDirPrefix+strconv.Itoa(me.PID)+"-1-456", false)  // our PID, another start
	killedHere := mk(privateDirPrefix+"4206969-0-n"+me.NS+"-321", false) // this PID namespace, gone
	kept := []string{
		mine.Path(),
		// Another PID namespace (a container sharing the host name): its PID
		// says nothing here, even one that is gone, or ours with another start.
		mk(privateDirPrefix+"4206969-0-n1-654", false),
		mk(privateDirPrefix+strconv.Itoa(me.PID)+"-1-n1-655", false),
		mk(privateDirPrefix+"4206969-0-nx-656", false), // not a namespace

		mk(privateDirPrefix+strconv.Itoa(me.PID)+"-0-789", false), // our PID, start unknown
		mk("gosqlguard-versitygw-1.0", false),
		mk(privateDirPrefix+"4206969-0-file", true),
		mk(privateDirPrefix+"x-0-1", false),
		mk(privateDirPrefix+"4206969-0-", false),
	}
	want := []string{killed}
	if me.NS != "" {
		want = append(want, killedHere)
	} else {
		kept = append(kept, killedHere)
	}
	if me.Start != "" {
		want = append(want, reused)
	} else {
		kept = append(kept, reused)
	}
	got, err := SweepPrivateDirs(base)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v, want it kept", p, err)
		}
	}
	for _, p := range want {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there", p)
		}
	}
}
