package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/outreach-dev/outreach/outreach"
)

// TestBrowserCases: a case opened through the cases service misses its
// limit (the sweep fires it) and shows on the overview and in the overdue
// list; the manager of
// its estate opens it, acknowledges and resolves it from its forms (an
// empty resolution refused next to the field first), and sees the steps
// in its history and the resident's timeline; south's case is not found
// by direct URL.
func TestBrowserCases(t *testing.T) {
	f, svc, q := newCasesFixture(t)
	opened, _, err := svc.Open(t.Context(), outreach.Case{ResidentID: "n1", Category: outreach.CaseLift, Description: "Lift 1 stuck on floor 3"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(20 * time.Minute) // past the lift's 15-minute acknowledge limit
	if n, err := svc.Fire(t.Context()); err != nil || n == 0 {
		t.Fatalf("Fire = %d, %v", n, err)
	}
	ctx := browser(t)
	base := f.server.URL
	signInBrowser(t, ctx, base, "manager-north")
	row := "#case-" + opened.ID
	if err := run(ctx,
		chromedp.Navigate(base+"/console/overview"),
		chromedp.WaitVisible(chromedp.CSS("#overdue-"+opened.ID)),
	); err != nil {
		t.Fatalf("the overview's overdue cases: %v", err)
	}
	if err := run(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/console/cases"]`)),
		chromedp.WaitVisible(chromedp.CSS("#case-lists")),
		chromedp.Click(chromedp.CSS("#list-overdue")),
		chromedp.WaitVisible(chromedp.CSS(row+".overdue")),
	); err != nil {
		t.Fatalf("the overdue list: %v", err)
	}
	if n := count(t, ctx, "tr.case"); n != 1 {
		t.Errorf("the overdue list of north shows %d cases, want 1", n)
	}
	screenshot(t, ctx, "cases")
	if err := run(ctx,
		chromedp.Click(chromedp.CSS(row+` a[href="/console/cases/`+opened.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#case-overdue")),
		chromedp.SendKeys(chromedp.CSS("#acknowledge-note"), "engineer called"),
		chromedp.Click(chromedp.CSS("#acknowledge")),
		chromedp.WaitVisible(chromedp.CSS(`#case-state[data-state="acknowledged"]`)),
	); err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	if err := run(ctx,
		chromedp.Click(chromedp.CSS("#resolve")),
		chromedp.WaitVisible(chromedp.CSS("#resolve-error")),
		chromedp.SendKeys(chromedp.CSS("#resolution"), "door sensor replaced"),
		chromedp.Click(chromedp.CSS("#resolve")),
		chromedp.WaitVisible(chromedp.CSS(`#case-state[data-state="resolved"]`)),
	); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	screenshot(t, ctx, "case")
	history := get(t, ctx, chromedp.Text(chromedp.CSS("#history")))
	for _, want := range []string{"engineer called", "door sensor replaced", "console:manager-north", "escalated"} {
		if !strings.Contains(history, want) {
			t.Errorf("the history lacks %q:\n%s", want, history)
		}
	}
	if !strings.Contains(strings.Join(q.ids(), " "), "case-"+opened.ID+"-resolved-0") {
		t.Errorf("the resolution notice was not queued: %v", q.ids())
	}
	if err := run(ctx,
		chromedp.Navigate(base+"/console/cases?list=overdue"),
		chromedp.WaitVisible(chromedp.CSS("#no-cases")),
	); err != nil {
		t.Errorf("the resolved case is still overdue: %v", err)
	}
	if err := run(ctx,
		chromedp.Navigate(base+"/console/residents/n1"),
		chromedp.WaitVisible(chromedp.CSS(`#timeline li.case a[href="/console/cases/`+opened.ID+`"]`)),
	); err != nil {
		t.Errorf("the resident's timeline lacks the case: %v", err)
	}
	resp := get(t, ctx, chromedp.NavigateResponse(base+"/console/cases/C-s1"))
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#error"))); resp.Status != 404 || msg != "Not found." {
		t.Errorf("GET /console/cases/C-s1 as the manager of north = %d %q, want 404 Not found.", resp.Status, msg)
	}
}
