package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

type userEditView struct {
	U       outreach.ConsoleUser
	Form    userForm
	Version string
	Estates []outreach.Estate
	Roles   []outreach.ConsoleRole
	Errors  map[string]string
	// Stale: the account changed while the form was open; nothing was
	// saved and the form shows it as it is now.
	Stale bool
}

func (c *Console) showUserEdit(w http.ResponseWriter, r *http.Request, status int, v userEditView) {
	estates, err := c.cfg.Store.Estates(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates, v.Roles = estates, outreach.ConsoleRoles
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	c.render(w, r, status, "useredit", "users.edit", v)
}

func userFormOf(u outreach.ConsoleUser) (userForm, string) {
	return userForm{Login: u.Login, Name: u.Name, Role: string(u.Role), Estates: slices.Clone(u.Estates)}, strconv.FormatInt(u.UpdatedAt.UnixNano(), 10)
}

// userEditPage is the form that changes an account's name, role, estates
// and password.
func userEditPage(c *Console, w http.ResponseWriter, r *http.Request) {
	u, err := c.cfg.Store.ConsoleUser(r.Context(), r.PathValue("login"))
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	f, version := userFormOf(u)
	c.showUserEdit(w, r, http.StatusOK, userEditView{U: u, Form: f, Version: version})
}

// saveUser changes an account: the role, the estates (none: every
// estate), the name and, when one is typed, the password (which ends the
// account's sessions). Every field is checked, errors next to it, nothing
// saved unless all are right; an admin cannot take away their own role or
// limit themself (the console would be left without them); an account
// changed meanwhile is not overwritten. The role and the estates apply at
// the account's next request. Audit log: user_edit.
func saveUser(c *Console, w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := c.cfg.Store.ConsoleUser(ctx, r.PathValue("login"))
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	f := userForm{Login: u.Login, Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), Estates: r.PostForm["estates"]}
	errs := map[string]string{}
	role, err := outreach.ParseConsoleRole(f.Role)
	if err != nil {
		errs["role"] = "error.choice"
	}
	for _, e := range f.Estates {
		if _, err := c.cfg.Store.Estate(ctx, e); isNotFound(err) {
			errs["estates"] = "error.choice"
		} else if err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	if len([]rune(f.Name)) > 200 || strings.ContainsFunc(f.Name, func(r rune) bool { return r < ' ' }) {
		errs["name"] = "resident.error.text"
	}
	me := sessionOf(r).User
	if u.ID == me.ID && err == nil && (role != outreach.RoleAdmin || len(f.Estates) > 0) {
		errs["role"] = "users.error.selfrole"
	}
	password := r.PostFormValue("password")
	var hash *string
	if password != "" {
		if len(password) < outreach.MinPasswordLen || len(password) > 72 {
			errs["password"] = "users.error.password"
		} else if h, err := outreach.HashPassword(password); err != nil {
			errs["password"] = "users.error.password"
		} else {
			hash = &h
		}
	}
	if len(errs) > 0 {
		c.showUserEdit(w, r, http.StatusBadRequest, userEditView{U: u, Form: f, Version: r.PostFormValue("version"), Errors: errs})
		return
	}
	if strconv.FormatInt(u.UpdatedAt.UnixNano(), 10) != r.PostFormValue("version") {
		now, version := userFormOf(u)
		c.showUserEdit(w, r, http.StatusConflict, userEditView{U: u, Form: now, Version: version, Stale: true})
		return
	}
	estates := slices.Clone(f.Estates)
	slices.Sort(estates)
	estates = slices.Compact(estates)
	if estates == nil {
		estates = []string{}
	}
	saved, err := c.cfg.Store.UpdateConsoleUser(ctx, u.ID, outreach.ConsoleUserChange{Name: &f.Name, Role: &role, Estates: &estates, PasswordHash: hash})
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	detail := fmt.Sprintf("role %s, estates %s", saved.Role, orAll(saved.Estates))
	if hash != nil {
		detail += "; new password"
	}
	c.audit(ctx, outreach.AuditEntry{Actor: me.Login, Action: "user_edit", Target: saved.Login, Detail: detail, Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/users?saved="+saved.Login, http.StatusSeeOther)
}
