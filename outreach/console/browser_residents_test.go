package console_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-dev/outreach/outreach"
)

// TestBrowserResidents: in Chromium, a manager imports a file with a bad
// row, follows the progress bar to the report, sees the bad row's line,
// imports the good rows; then edits a resident (a bad phone refused next
// to the field, then a good one saved) and records an opt-out.
func TestBrowserResidents(t *testing.T) {
	f := newFixture(t)
	ctx := browser(t)
	base := f.server.URL
	file := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(file, []byte(importCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	signInBrowser(t, ctx, base, "manager-north")
	if err := run(ctx,
		chromedp.Navigate(base+"/console/residents"),
		chromedp.Click(chromedp.CSS("#import-link")),
		chromedp.WaitVisible(chromedp.CSS("#import-form")),
		chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{file}),
		chromedp.Click(chromedp.CSS("#upload")),
		chromedp.WaitVisible(chromedp.CSS("#progress")),
		chromedp.WaitVisible(chromedp.CSS(`#phase[data-phase="ready"]`)),
	); err != nil {
		t.Fatalf("upload a file: %v", err)
	}
	f.console.Wait()
	screenshot(t, ctx, "import")
	if line := get(t, ctx, chromedp.Text(chromedp.CSS("tr.bad-row td"))); line != "3" {
		t.Errorf("the bad row's line reads %q, want 3", line)
	}
	if problem := get(t, ctx, chromedp.Text(chromedp.CSS("#bad-rows"))); !strings.Contains(problem, "phone") || !strings.Contains(problem, "not a phone number") {
		t.Errorf("the bad rows read %q", problem)
	}
	if err := run(ctx,
		chromedp.Click(chromedp.CSS("#commit")),
		chromedp.WaitVisible(chromedp.CSS("#written")),
	); err != nil {
		t.Fatalf("import the good rows: %v", err)
	}
	if _, err := f.store.Resident(t.Context(), "n7"); err != nil {
		t.Errorf("after the import: %v", err)
	}

	// Edit: a bad phone is refused next to the field, then a good one saved.
	if err := run(ctx,
		chromedp.Navigate(base+"/console/residents/n7"),
		chromedp.Click(chromedp.CSS("#edit")),
		chromedp.WaitVisible(chromedp.CSS("#resident-form")),
		chromedp.SetValue(chromedp.CSS("#e-phone"), "12"),
		chromedp.Click(chromedp.CSS("#save-resident")),
		chromedp.WaitVisible(chromedp.CSS("#err-phone")),
	); err != nil {
		t.Fatalf("a bad phone: %v", err)
	}
	if r, _ := f.store.Resident(t.Context(), "n7"); r.Phone != "+8613800000007" {
		t.Errorf("a refused form changed the phone to %q", r.Phone)
	}
	if err := run(ctx,
		chromedp.SetValue(chromedp.CSS("#e-phone"), "+86 138 0000 0077"),
		chromedp.SetValue(chromedp.CSS("#e-unit"), "307"),
		chromedp.Click(chromedp.CSS("#save-resident")),
		chromedp.WaitVisible(chromedp.CSS("#saved")),
	); err != nil {
		t.Fatalf("save the resident: %v", err)
	}
	if phone := get(t, ctx, chromedp.Text(chromedp.CSS("#resident-phone"))); phone != "+8613800000077" {
		t.Errorf("after the save the phone reads %q", phone)
	}
	// Opt out of holiday greetings.
	if err := run(ctx,
		chromedp.Click(chromedp.CSS("#optouts summary")),
		chromedp.Click(chromedp.CSS("#out-holiday_greeting")),
		chromedp.Click(chromedp.CSS("#save-optouts")),
		chromedp.WaitVisible(chromedp.CSS("#optouts-saved")),
	); err != nil {
		t.Fatalf("opt out: %v", err)
	}
	if r, _ := f.store.Resident(t.Context(), "n7"); !slices.Equal(r.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}) || r.Unit != "307" {
		t.Errorf("after the opt-out: %+v", r)
	}
}
