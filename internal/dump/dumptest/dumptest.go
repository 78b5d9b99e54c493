// Package dumptest holds what the engines' tests share: finding the local
// test servers and giving up on them the same way, throwaway servers for what
// the shared ones cannot show, checks every dump.Dumper must pass, checks of
// what other processes see of a running tool, and checks of option
// allow-lists.
//
// A test that needs a server, a tool or a binary and cannot find it is
// skipped, unless the environment variable CI is "true": then it fails, so
// that a green CI run always means the real thing ran.
package dumptest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
)

// Socket returns where a local test server's socket is: the value of the
// environment variable env when it is set, else fallback.
func Socket(env, fallback string) string {
	if s := os.Getenv(env); s != "" {
		return s
	}
	return fallback
}

// UniqueName returns prefix followed by random hex digits: a database or
// user name that no other test, run or process uses.
func UniqueName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
