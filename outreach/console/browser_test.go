package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// actionTimeout bounds each browser step: generous, the CI machine is
// small and busy.
const actionTimeout = 60 * time.Second

// browser starts a headless Chromium for t (chromedp finds `chromium` by
// name). Without one the test skips, except in CI (CI=true), where it
// fails: there the browser tests must run.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if path, err = exec.LookPath("chromium-browser"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("chromium is not installed; the browser tests must run in CI (.ci/run installs it)")
			}
			t.Skip("chromium is not installed (apt-get install chromium)")
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1200, 860),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser, which lives as long as the
	// context of that action: ctx itself, not one with a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs steps, each within actionTimeout.
func run(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	for _, a := range steps {
		actx, cancel := context.WithTimeout(ctx, actionTimeout)
		err := chromedp.Do(actx, a)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// get runs one action within actionTimeout and returns its value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(actx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// screenshot saves the viewport as name.png in OUTREACH_CONSOLE_SCREENSHOTS
// (a directory, relative to the repository's root), when that is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("OUTREACH_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir)
	}
	png := get(t, ctx, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signInBrowser(t *testing.T, ctx context.Context, base, login string) {
	t.Helper()
	if err := run(ctx,
		chromedp.Navigate(base+"/console/archive"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#login"), login),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#archive-form")),
	); err != nil {
		t.Fatalf("sign in as %s: %v", login, err)
	}
}

func count(t *testing.T, ctx context.Context, selector string) int {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(selector)+`).length`))
}

// markResults marks the results on the page, so that a wait for
// section#results:not([data-old]) waits for htmx to swap new ones in.
func markResults() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.getElementById('results').dataset.old = '1'`)
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestBrowser walks the console in Chromium: sign in, search the archive
// (htmx swaps the results in and the URL follows), a delivery's history
// and a follow-up note, a resident whose name
// is markup shows as text and runs nothing, a POST without the CSRF token
// is refused, sign out; then a manager of estate north sees nothing of
// south, on the pages and by direct URL (404), until the session expires.
func TestBrowser(t *testing.T) {
	f := newFixture(t)
	ctx := browser(t)
	base := f.server.URL
	var dialogs atomic.Int32
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}) //nolint:errcheck // a dialog fails the test anyway
		}
	}); err != nil {
		t.Fatal(err)
	}

	signInBrowser(t, ctx, base, "admin")

	// Search: the failed email, swapped in by htmx, the URL pushed.
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#f-status"), "failed"),
		markResults(),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(`section#results:not([data-old]) a[href="/console/archive/deliveries/d-n2"]`)),
	); err != nil {
		t.Fatalf("search the archive: %v", err)
	}
	if location := get(t, ctx, chromedp.Location()); !strings.Contains(location, "status=failed") {
		t.Errorf("after the search the URL is %s, want status=failed in it", location)
	}
	if n := count(t, ctx, "tr.delivery"); n != 1 {
		t.Errorf("status=failed shows %d rows, want 1", n)
	}
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#f-status"), ""),
		markResults(),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(`section#results:not([data-old]) a[href="/console/archive/deliveries/d-s1"]`)),
	); err != nil {
		t.Fatalf("search everything: %v", err)
	}
	screenshot(t, ctx, "archive")

	// A delivery's history.
	if err := run(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/console/archive/deliveries/d-n1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#history")),
	); err != nil {
		t.Fatalf("open a delivery: %v", err)
	}
	if history := get(t, ctx, chromedp.Text(chromedp.CSS("#history"))); !strings.Contains(history, "delivered") || !strings.Contains(history, "replied") {
		t.Errorf("the history reads %q", history)
	}
	// A follow-up note, saved with the form's CSRF token, lands in the history.
	if err := run(ctx,
		chromedp.SendKeys(chromedp.CSS("#note"), "called back, fixed"),
		chromedp.Click(chromedp.CSS("#save-note")),
		chromedp.WaitVisible(chromedp.CSS("#noted")),
	); err != nil {
		t.Fatalf("save a note: %v", err)
	}
	if history := get(t, ctx, chromedp.Text(chromedp.CSS("#history"))); !strings.Contains(history, "called back, fixed") {
		t.Errorf("after the note the history reads %q", history)
	}

	// The resident named <img src=x onerror=alert(1)>: text, no image, no alert.
	if err := run(ctx,
		chromedp.Navigate(base+"/console/residents/n2"),
		chromedp.WaitVisible(chromedp.CSS("#resident-name")),
	); err != nil {
		t.Fatalf("open the resident: %v", err)
	}
	name := get(t, ctx, chromedp.Text(chromedp.CSS("#resident-name")))
	if images := count(t, ctx, "img"); name != xssName || images != 0 || dialogs.Load() != 0 {
		t.Errorf("the name reads %q, %d images, %d dialogs; want the text itself, none, none", name, images, dialogs.Load())
	}
	// On a phone, in Chinese (the language switch).
	if err := run(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/console/residents/n1"),
		chromedp.Click(chromedp.CSS("#lang")),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	); err != nil {
		t.Fatalf("open a resident's timeline: %v", err)
	}
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "住户" {
		t.Errorf("after the switch to Chinese the title reads %q", h1)
	}
	screenshot(t, ctx, "resident")
	if err := run(ctx, chromedp.EmulateViewport(1200, 860), chromedp.Click(chromedp.CSS("#lang")), chromedp.WaitVisible(chromedp.CSS("#timeline"))); err != nil {
		t.Fatal(err)
	}
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Resident" {
		t.Errorf("after the switch back to English the title reads %q", h1)
	}

	// A POST without the CSRF token (a forged form): 403, still signed in.
	status := get(t, ctx, chromedp.Evaluate[int](`fetch('/console/logout', {method: 'POST', body: new URLSearchParams({}), redirect: 'manual'}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Errorf("POST /console/logout without the token = %d, want 403", status)
	}

	// Sign out: back to the login, and the pages want it again.
	if err := run(ctx,
		chromedp.Navigate(base+"/console/archive"),
		chromedp.WaitVisible(chromedp.CSS("#archive-form")),
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.Navigate(base+"/console/residents/n1"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	); err != nil {
		t.Fatalf("sign out: %v", err)
	}

	// A manager of north: nothing of south, in lists or by URL.
	signInBrowser(t, ctx, base, "manager-north")
	if n := count(t, ctx, `a[href="/console/archive/deliveries/d-n1"]`); n != 1 {
		t.Errorf("the manager of north sees %d links to north's delivery, want 1", n)
	}
	if n := count(t, ctx, `a[href="/console/archive/deliveries/d-s1"], a[href="/console/residents/s1"]`); n != 0 {
		t.Errorf("the manager of north sees %d links to south's records", n)
	}
	if err := run(ctx,
		chromedp.Navigate(base+"/console/residents?estate=south"),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	); err != nil {
		t.Fatal(err)
	}
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("body"))); strings.Contains(body, "Sun South") || strings.Contains(body, "South Bay") {
		t.Error("the residents page shows south to the manager of north")
	}
	for _, path := range []string{"/console/residents/s1", "/console/archive/deliveries/d-s1"} {
		resp := get(t, ctx, chromedp.NavigateResponse(base+path))
		msg := get(t, ctx, chromedp.Text(chromedp.CSS("#error")))
		if resp.Status != 404 || msg != "Not found." {
			t.Errorf("GET %s as the manager of north = %d %q, want 404 Not found.", path, resp.Status, msg)
		}
	}

	// Half an hour idle ends the session: the next page asks to sign in.
	f.clock.Add(31 * time.Minute)
	if err := run(ctx,
		chromedp.Navigate(base+"/console/residents"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	); err != nil {
		t.Fatalf("after 31 idle minutes: %v", err)
	}
}
