package console

import (
	"errors"
	"net/http"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
)

// page is one route of the console: the table that the mux, the role
// checks and the access matrix test (access_test.go) all read.
type page struct {
	// Pattern is the http.ServeMux pattern.
	Pattern string
	// Public pages need no session (the login, the language switch).
	Public bool
	// Roles may open the page; for the others it is 403.
	Roles []outreach.ConsoleRole
	// AllEstates: only users of every estate may open it (the accounts and
	// the audit log belong to no estate); a limited user gets 403.
	AllEstates bool
	serve      func(c *Console, w http.ResponseWriter, r *http.Request)
}

func (p page) allows(u outreach.ConsoleUser) bool {
	return slices.Contains(p.Roles, u.Role) && (!p.AllEstates || !u.Limited())
}

// Who may open what. Everyone signed in reads (and exports) the archive
// and the residents of their estates; all but auditors add follow-up
// notes; the accounts are an unlimited admin's, the
// audit log an unlimited admin's or auditor's.
var (
	everyone     = outreach.ConsoleRoles
	noters       = []outreach.ConsoleRole{outreach.RoleAdmin, outreach.RoleManager, outreach.RoleStaff}
	adminsOnly   = []outreach.ConsoleRole{outreach.RoleAdmin}
	auditReaders = []outreach.ConsoleRole{outreach.RoleAdmin, outreach.RoleAuditor}
	// Campaigns are planned and steered by admins and managers; staff and
	// auditors read them.
	campaigners = []outreach.ConsoleRole{outreach.RoleAdmin, outreach.RoleManager}
	// Residents are edited (and their opt-outs recorded) by admins,
	// managers and staff; files of residents are imported by admins and
	// managers.
	importers = []outreach.ConsoleRole{outreach.RoleAdmin, outreach.RoleManager}
	// Dead letters belong to no estate (a malformed entry names none):
	// admins, managers and auditors of every estate read them; admins and
	// managers re-queue them.
	deadReaders = []outreach.ConsoleRole{outreach.RoleAdmin, outreach.RoleManager, outreach.RoleAuditor}
)

func (c *Console) table() []page {
	return []page{
		{Pattern: "GET /console/{$}", Roles: everyone, serve: home},
		{Pattern: "GET /console/login", Public: true, serve: loginForm},
		{Pattern: "POST /console/login", Public: true, serve: login},
		{Pattern: "GET /console/login/link", Public: true, serve: followLink},
		{Pattern: "GET /console/lang", Public: true, serve: setLang},
		{Pattern: "POST /console/logout", Roles: everyone, serve: logout},
		{Pattern: "GET /console/overview", Roles: everyone, serve: overviewPage},
		{Pattern: "GET /console/satisfaction", Roles: everyone, serve: satisfactionPage},
		{Pattern: "POST /console/satisfaction/surveys/{id}/callback", Roles: noters, serve: callBack},
		{Pattern: "GET /console/archive", Roles: everyone, serve: archivePage},
		{Pattern: "GET /console/archive/export", Roles: everyone, serve: exportArchive},
		{Pattern: "GET /console/archive/deliveries/{id}", Roles: everyone, serve: deliveryPage},
		{Pattern: "POST /console/archive/deliveries/{id}/note", Roles: noters, serve: noteDelivery},
		{Pattern: "GET /console/residents", Roles: everyone, serve: residentsPage},
		{Pattern: "GET /console/import", Roles: importers, serve: importPage},
		{Pattern: "POST /console/import", Roles: importers, serve: startImport},
		{Pattern: "GET /console/import/{id}", Roles: importers, serve: importStatus},
		{Pattern: "POST /console/import/{id}/commit", Roles: importers, serve: commitImport},
		{Pattern: "GET /console/residents/{id}", Roles: everyone, serve: residentPage},
		{Pattern: "GET /console/residents/{id}/edit", Roles: noters, serve: residentEditPage},
		{Pattern: "POST /console/residents/{id}", Roles: noters, serve: saveResident},
		{Pattern: "POST /console/residents/{id}/optouts", Roles: noters, serve: saveOptOuts},
		{Pattern: "GET /console/templates", Roles: everyone, serve: templatesPage},
		{Pattern: "GET /console/campaigns", Roles: everyone, serve: campaignsPage},
		{Pattern: "GET /console/campaigns/new", Roles: campaigners, serve: newCampaignPage},
		{Pattern: "POST /console/campaigns", Roles: campaigners, serve: createCampaign},
		{Pattern: "GET /console/campaigns/{id}", Roles: everyone, serve: campaignPage},
		{Pattern: "POST /console/campaigns/{id}/pause", Roles: campaigners, serve: steer(campaign.OpPause)},
		{Pattern: "POST /console/campaigns/{id}/resume", Roles: campaigners, serve: steer(campaign.OpResume)},
		{Pattern: "POST /console/campaigns/{id}/cancel", Roles: campaigners, serve: steer(campaign.OpCancel)},
		{Pattern: "GET /console/cases", Roles: everyone, serve: casesPage},
		{Pattern: "GET /console/cases/{id}", Roles: everyone, serve: casePage},
		{Pattern: "POST /console/cases/{id}/acknowledge", Roles: caseWorkers, serve: caseStep(stepAcknowledge)},
		{Pattern: "POST /console/cases/{id}/assign", Roles: caseAssigners, serve: caseStep(stepAssign)},
		{Pattern: "POST /console/cases/{id}/resolve", Roles: caseWorkers, serve: caseStep(stepResolve)},
		{Pattern: "POST /console/cases/{id}/close", Roles: caseWorkers, serve: caseStep(stepClose)},
		{Pattern: "GET /console/deadletters", Roles: deadReaders, AllEstates: true, serve: deadLettersPage},
		{Pattern: "GET /console/deadletters/{shard}/{id}", Roles: deadReaders, AllEstates: true, serve: deadLetterPage},
		{Pattern: "POST /console/deadletters/{shard}/{id}/requeue", Roles: campaigners, AllEstates: true, serve: requeueDeadLetter},
		{Pattern: "GET /console/users", Roles: adminsOnly, AllEstates: true, serve: usersPage},
		{Pattern: "POST /console/users", Roles: adminsOnly, AllEstates: true, serve: addUser},
		{Pattern: "GET /console/users/{login}/edit", Roles: adminsOnly, AllEstates: true, serve: userEditPage},
		{Pattern: "POST /console/users/{login}", Roles: adminsOnly, AllEstates: true, serve: saveUser},
		{Pattern: "POST /console/users/{login}/disable", Roles: adminsOnly, AllEstates: true, serve: disableUser},
		{Pattern: "POST /console/users/{login}/enable", Roles: adminsOnly, AllEstates: true, serve: enableUser},
		{Pattern: "GET /console/audit", Roles: auditReaders, AllEstates: true, serve: auditPage},
	}
}

// PageAccess is one page of the console as the access matrix sees it.
type PageAccess struct {
	Pattern    string
	Public     bool
	Roles      []outreach.ConsoleRole
	AllEstates bool
}

// Pages lists every page of the console with who may open it, in the
// order the mux registers them.
func (c *Console) Pages() []PageAccess {
	var out []PageAccess
	for _, p := range c.table() {
		out = append(out, PageAccess{Pattern: p.Pattern, Public: p.Public, Roles: slices.Clone(p.Roles), AllEstates: p.AllEstates})
	}
	return out
}

// allowed reports whether the request's user may use the page of pattern.
func (c *Console) allowed(r *http.Request, pattern string) bool {
	for _, p := range c.table() {
		if p.Pattern == pattern {
			return p.allows(sessionOf(r).User)
		}
	}
	return false
}

func home(c *Console, w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/console/overview", http.StatusSeeOther)
}

// limitOf is the estates the request's user is limited to (nil: none),
// for Filter.Estates and ResidentFilter.Estates.
func limitOf(r *http.Request) []string {
	u := sessionOf(r).User
	if !u.Limited() {
		return nil
	}
	return slices.Clone(u.Estates)
}

// visibleEstates are the estates the user may choose from.
func (c *Console) visibleEstates(r *http.Request) ([]outreach.Estate, error) {
	all, err := c.cfg.Store.Estates(r.Context())
	if err != nil {
		return nil, err
	}
	u := sessionOf(r).User
	return slices.DeleteFunc(all, func(e outreach.Estate) bool { return !u.Sees(e.ID) }), nil
}

// notFound answers for a record that does not exist or that the user may
// not see: the same, so the two cannot be told apart.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.errorPage(w, r, http.StatusNotFound, "error.notfound")
}

func isNotFound(err error) bool { return errors.Is(err, outreach.ErrNotFound) }

// loadFailed answers a request whose record could not be loaded: not
// found (or not the user's to see) as notFound, anything else as a server
// error.
func (c *Console) loadFailed(w http.ResponseWriter, r *http.Request, err error) {
	if isNotFound(err) {
		c.notFound(w, r)
		return
	}
	c.serverError(w, r, err)
}
