package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hidden profile flags write profiles that parse, stay out of --help,
// and leave the command's own output alone.
func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	var out, errOut bytes.Buffer
	root := newRootCommand(&out, &errOut)
	root.SetArgs([]string{"version", "--cpuprofile", cpu, "--memprofile", mem})
	if err := execute(context.Background(), root); err != nil {
		t.Fatalf("version with profiles: %v; stderr: %s", err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "gosqlguard ") || errOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	// pprof profiles are gzipped protocol buffers naming their sample types.
	for path, sampleType := range map[string]string{cpu: "samples", mem: "alloc_space"} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil || !bytes.Contains(b, []byte(sampleType)) {
			t.Errorf("%s: %v, no %q in the profile", filepath.Base(path), err, sampleType)
		}
	}

	var help bytes.Buffer
	root = newRootCommand(&help, &help)
	root.SetArgs([]string{"--help"})
	if err := execute(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(help.String(), "profile") {
		t.Errorf("--help names the profile flags:\n%s", help.String())
	}
}
