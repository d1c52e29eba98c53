package console_test

import (
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/outreach-dev/outreach/outreach"
)

// TestBrowserEditUser: in Chromium, an admin opens an account from the
// Users page, gives it a second estate and the manager role, and sees it
// saved.
func TestBrowserEditUser(t *testing.T) {
	f := newFixture(t)
	ctx := browser(t)
	base := f.server.URL
	signInBrowser(t, ctx, base, "admin")
	if err := run(ctx,
		chromedp.Navigate(base+"/console/users"),
		chromedp.Click(chromedp.CSS("#edit-staff-north")),
		chromedp.WaitVisible(chromedp.CSS("#user-edit-form")),
		chromedp.SetValue(chromedp.CSS("#u-role"), "manager"),
		chromedp.Click(chromedp.CSS("#u-estate-south")),
		chromedp.Click(chromedp.CSS("#save-user")),
		chromedp.WaitVisible(chromedp.CSS("#user-saved")),
	); err != nil {
		t.Fatalf("edit a user: %v", err)
	}
	screenshot(t, ctx, "users")
	u, _ := f.store.ConsoleUser(t.Context(), "staff-north")
	if u.Role != outreach.RoleManager || !slices.Equal(u.Estates, []string{"north", "south"}) {
		t.Errorf("after the edit: %s %v", u.Role, u.Estates)
	}
}
