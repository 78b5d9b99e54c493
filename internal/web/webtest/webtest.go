// Package webtest starts a headless Chromium for browser tests of the web UI
// and writes screenshots where a person can look at them.
//
// A test that cannot find or start Chromium skips, except in CI (CI=true),
// where it fails (testenv.Require): a green CI run always means the browser
// tests ran.
package webtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// Laptop is the window size browser tests use unless they change it.
const (
	LaptopWidth  = 1366
	LaptopHeight = 900
	PhoneWidth   = 390
	PhoneHeight  = 844
)

// ArtifactsDir is the folder, at the root of the module, that screenshots go
// to. It is ignored by git.
const ArtifactsDir = "test-artifacts"

// Browser starts a headless Chromium for the test and returns a chromedp
// context whose actions run in one tab of it. The browser stops when the test
// ends. Use context.WithTimeout on the returned context to bound single
// steps, never on the first run (that would stop the browser).
func Browser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		path, err = exec.LookPath("chromium-browser")
	}
	testenv.Require(t, "tool chromium (install the chromium package)", err)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(LaptopWidth, LaptopHeight),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	start, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }() // starts the browser and opens the tab
	select {
	case err := <-done:
		testenv.Require(t, "a running chromium", err)
	case <-start.Done():
		t.Fatal("chromium did not start within a minute")
	}
	return ctx
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot writes a full-page PNG of the tab's current page to
// test-artifacts/NAME.png at the module's root, and returns its path.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	dir, err := artifactsDir()
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	// A capture can stall while the page is busy; it is an artifact for
	// people to look at, not an assertion, so a slow one is skipped.
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s skipped: %v", name, err)
		return ""
	}
	path := filepath.Join(dir, safeName.ReplaceAllString(name, "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// artifactsDir creates and returns test-artifacts/ at the root of the module
// the test runs in (the nearest folder above with a go.mod).
func artifactsDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, ArtifactsDir)
	return out, os.MkdirAll(out, 0o755)
}
