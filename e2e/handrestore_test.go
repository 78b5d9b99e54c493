package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// pipeCommands runs stock tools as a pipeline (no shell): the file feeds the
// first command's stdin, each stdout feeds the next stdin. It fails the test
// if any command fails.
func pipeCommands(t *testing.T, input string, cmds ...[]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	in, err := os.Open(input)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var prev io.Reader = in
	var procs []*exec.Cmd
	var stderrs []*bytes.Buffer
	var closers []io.Closer
	for i, argv := range cmds {
		c := exec.CommandContext(ctx, testenv.Tool(t, argv[0]), argv[1:]...)
		c.Stdin = prev
		errBuf := &bytes.Buffer{}
		c.Stderr = errBuf
		if i < len(cmds)-1 {
			pr, pw := io.Pipe()
			c.Stdout = pw
			prev = pr
			closers = append(closers, pw)
		}
		procs = append(procs, c)
		stderrs = append(stderrs, errBuf)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(procs))
	for i, c := range procs {
		if err := c.Start(); err != nil {
			t.Fatalf("%s: %v", cmds[i][0], err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Wait()
			if i < len(closers) {
				closers[i].Close()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(cmds[i], " "), err, stderrs[i])
		}
	}
}
