package console_test

import (
	"strings"
	"testing"

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
	regular := get(t, ctx, chromedp.Text(chromedp.CSS("#r-sms pre")))
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#p-variant"), "elderly"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-variant').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#preview[data-variant="elderly"]`)),
	); err != nil {
		t.Fatalf("choose the elderly variant: %v", err)
	}
	elderly := get(t, ctx, chromedp.Text(chromedp.CSS("#r-sms pre")))
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
