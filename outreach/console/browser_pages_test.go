package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSatisfaction: the overview, then the satisfaction page's
// chart with the 70% line, and a low score marked called back from its
// form (the task leaves the queue and the survey keeps the note).
func TestBrowserSatisfaction(t *testing.T) {
	f := newFixture(t)
	ctx := browser(t)
	base := f.server.URL
	signInBrowser(t, ctx, base, "admin")
	if err := run(ctx,
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#today")),
	); err != nil {
		t.Fatalf("open the overview: %v", err)
	}
	screenshot(t, ctx, "overview")
	if err := run(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/console/satisfaction"]`)),
		chromedp.WaitVisible(chromedp.CSS("#target-line")),
	); err != nil {
		t.Fatalf("open the satisfaction page: %v", err)
	}
	screenshot(t, ctx, "satisfaction")
	if err := run(ctx,
		chromedp.SendKeys(chromedp.CSS("#cb-sv-n1 textarea"), "rang back, plumber again on Friday"),
		chromedp.Click(chromedp.CSS("#cb-sv-n1 button.called-back")),
		chromedp.WaitVisible(chromedp.CSS("#called-back")),
	); err != nil {
		t.Fatalf("mark called back: %v", err)
	}
	if n := count(t, ctx, "#cb-sv-n1"); n != 0 {
		t.Error("the survey called back is still in the queue")
	}
	sv, err := f.store.Survey(t.Context(), "sv-n1")
	if err != nil || sv.CalledBackAt == nil || !strings.Contains(sv.CallbackNote, "plumber") {
		t.Errorf("after the call-back the survey is %+v, %v", sv, err)
	}
}
