package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTemplates: the templates page in Chromium: choosing a
// template, a variant and a language re-renders the preview live (htmx),
// elderly against the default variant; then a real resident's.
func TestBrowserTemplates(t *testing.T) {
	f := newFixture(t)
	ctx := browser(t)
	base := f.server.URL
	signInBrowser(t, ctx, base, "staff-north")
	if err := run(ctx,
		chromedp.Navigate(base+"/console/templates"),
		chromedp.WaitVisible(chromedp.CSS("#template-list")),
		chromedp.SetValue(chromedp.CSS("#p-template"), "maintenance_notice"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-template').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#preview[data-variant="default"]`)),
	); err != nil {
		t.Fatalf("choose a template: %v", err)
	}
	regular := smsPreview(t, ctx, "default")
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#p-variant"), "elderly"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-variant').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#preview[data-variant="elderly"]`)),
	); err != nil {
		t.Fatalf("choose the elderly variant: %v", err)
	}
	elderly := smsPreview(t, ctx, "elderly")
	if elderly == "" || elderly == regular {
		t.Errorf("the elderly SMS reads %q, the regular one %q: want two different texts", elderly, regular)
	}
	if location := get(t, ctx, chromedp.Location()); !strings.Contains(location, "variant=elderly") {
		t.Errorf("after the change the URL is %s", location)
	}
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#p-locale"), "en"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-locale').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#r-sms h3 ~ pre`)),
		chromedp.WaitReady(chromedp.CSS(`#preview h2 small`)),
	); err != nil {
		t.Fatalf("in English: %v", err)
	}
	screenshot(t, ctx, "templates")
	// A real resident: n1 is elderly, in their own language.
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#p-variant"), ""),
		chromedp.SendKeys(chromedp.CSS("#p-resident"), "n1"),
		chromedp.WaitVisible(chromedp.CSS(`#preview a[href="/console/residents/n1"]`)),
	); err != nil {
		t.Fatalf("preview for a real resident: %v", err)
	}
	if v := get(t, ctx, chromedp.Text(chromedp.CSS("#preview .variant"))); v != "elderly" {
		t.Errorf("n1's preview is of variant %q, want elderly", v)
	}
}

// smsPreview is the SMS text of the preview of variant, read in the page
// once it is there: a node read through chromedp right after htmx's swap
// can be the detached old one, whose text is "" (seen under load in CI).
func smsPreview(t *testing.T, ctx context.Context, variant string) string {
	t.Helper()
	js := `(document.querySelector('#preview[data-variant="` + variant + `"] #r-sms pre') || {}).innerText`
	return get(t, ctx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(50*time.Second)))
}
