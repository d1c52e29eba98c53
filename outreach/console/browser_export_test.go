package console_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowserExport: in Chromium, a manager of north searches the archive
// (failed messages of one day), downloads what it found as CSV, and as
// CSV for Excel (with the byte order mark): the files hold the search's
// deliveries and nothing of south.
func TestBrowserExport(t *testing.T) {
	f := newFixture(t)
	ctx := browser(t)
	base := f.server.URL
	dir := t.TempDir()
	done := make(chan string, 4)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			done <- e.GUID
		}
	}); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	signInBrowser(t, ctx, base, "manager-north")
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#f-status"), "failed"),
		markResults(),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(`section#results:not([data-old]) a[href="/console/archive/deliveries/d-n2"]`)),
	); err != nil {
		t.Fatalf("search the archive: %v", err)
	}
	download := func(link string) string {
		t.Helper()
		if err := run(ctx, chromedp.Click(chromedp.CSS(link))); err != nil {
			t.Fatalf("click %s: %v", link, err)
		}
		select {
		case guid := <-done:
			b, err := os.ReadFile(filepath.Join(dir, guid))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		case <-time.After(actionTimeout):
			t.Fatalf("%s: no download completed", link)
		}
		return ""
	}
	csv := download("#export")
	if !strings.HasPrefix(csv, "created_at,") || !strings.Contains(csv, "d-n2") || strings.Contains(csv, "d-n1") || strings.Contains(csv, "d-s1") {
		t.Errorf("the export of the failed messages reads %q", csv)
	}
	excel := download("#export-excel")
	if !strings.HasPrefix(excel, "\uFEFFcreated_at,") || !strings.Contains(excel, "d-n2") {
		t.Errorf("the export for Excel reads %q", excel)
	}
}
