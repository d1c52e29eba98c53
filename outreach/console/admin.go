package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

type usersView struct {
	Users   []outreach.ConsoleUser
	Estates []outreach.Estate
	Roles   []outreach.ConsoleRole
	Form    userForm
	Errors  map[string]string
	Added   string // the login just added
	Saved   string // the login just changed
}

type userForm struct {
	Login, Name, Role string
	Estates           []string
}

func (f userForm) Has(estate string) bool {
	for _, e := range f.Estates {
		if e == estate {
			return true
		}
	}
	return false
}

func (c *Console) showUsers(w http.ResponseWriter, r *http.Request, status int, v usersView) {
	users, err := c.cfg.Store.ConsoleUsers(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	estates, err := c.cfg.Store.Estates(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Users, v.Estates, v.Roles = users, estates, outreach.ConsoleRoles
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	c.render(w, r, status, "users", "users.title", v)
}

// usersPage lists the console's accounts, with the form to add one.
func usersPage(c *Console, w http.ResponseWriter, r *http.Request) {
	c.showUsers(w, r, http.StatusOK, usersView{Added: r.URL.Query().Get("added"), Saved: r.URL.Query().Get("saved"), Form: userForm{Role: string(outreach.RoleStaff)}})
}

// addUser adds an account: every field checked, errors next to it, nothing
// stored unless all are right.
func addUser(c *Console, w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "error.form")
		return
	}
	f := userForm{Login: strings.ToLower(strings.TrimSpace(r.PostFormValue("login"))), Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), Estates: r.PostForm["estates"]}
	errs := map[string]string{}
	if err := outreach.CheckConsoleLogin(f.Login); err != nil {
		errs["login"] = "users.error.login"
	}
	role, err := outreach.ParseConsoleRole(f.Role)
	if err != nil {
		errs["role"] = "error.choice"
	}
	for _, e := range f.Estates {
		if _, err := c.cfg.Store.Estate(r.Context(), e); isNotFound(err) {
			errs["estates"] = "error.choice"
		} else if err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	password := r.PostFormValue("password")
	if len(password) < outreach.MinPasswordLen || len(password) > 72 {
		errs["password"] = "users.error.password"
	}
	if len(errs) > 0 {
		c.showUsers(w, r, http.StatusBadRequest, usersView{Form: f, Errors: errs})
		return
	}
	u, err := outreach.NewConsoleUser(f.Login, f.Name, role, f.Estates, password)
	if err != nil {
		c.showUsers(w, r, http.StatusBadRequest, usersView{Form: f, Errors: map[string]string{"password": "users.error.password"}})
		return
	}
	if err := c.cfg.Store.CreateConsoleUser(r.Context(), u); errors.Is(err, outreach.ErrExists) {
		c.showUsers(w, r, http.StatusConflict, usersView{Form: f, Errors: map[string]string{"login": "users.error.exists"}})
		return
	} else if err != nil {
		c.serverError(w, r, err)
		return
	}
	c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "user_add", Target: u.Login,
		Detail: fmt.Sprintf("role %s, estates %s", u.Role, orAll(u.Estates)), Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/users?added="+u.Login, http.StatusSeeOther)
}

func orAll(estates []string) string {
	if len(estates) == 0 {
		return "*"
	}
	return strings.Join(estates, ",")
}

// disableUser disables an account, which ends its sessions; an admin
// cannot disable themself (the console would be left without them).
func disableUser(c *Console, w http.ResponseWriter, r *http.Request) { c.setDisabled(w, r, true) }

// enableUser lets a disabled account sign in again.
func enableUser(c *Console, w http.ResponseWriter, r *http.Request) { c.setDisabled(w, r, false) }

func (c *Console) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	s := sessionOf(r)
	who := r.PathValue("login")
	if who == s.User.Login || who == s.User.ID {
		c.errorPage(w, r, http.StatusBadRequest, "users.error.self")
		return
	}
	u, err := c.cfg.Store.UpdateConsoleUser(r.Context(), who, outreach.ConsoleUserChange{Disabled: &disabled})
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	action := "user_enable"
	if disabled {
		action = "user_disable"
	}
	c.audit(r.Context(), outreach.AuditEntry{Actor: s.User.Login, Action: action, Target: u.Login, Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/users", http.StatusSeeOther)
}

type auditView struct {
	Entries []outreach.AuditEntry
	Actor   string
	Next    int64
}

// auditPage is the audit log, newest first, by actor, in pages.
func auditPage(c *Console, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v := auditView{Actor: strings.TrimSpace(q.Get("actor"))}
	entries, err := c.cfg.Store.Audit(r.Context(), outreach.AuditFilter{Actor: v.Actor, Before: before, Limit: pageSize + 1})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		v.Next = entries[len(entries)-1].Seq
	}
	v.Entries = entries
	c.render(w, r, http.StatusOK, "audit", "audit.title", v)
}
