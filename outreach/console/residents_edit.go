package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/resident"
)

// residentForm is the edit form as typed.
type residentForm struct {
	Name, Email, Phone, Locale, Estate, Building, Unit, Tags, Channels, TimeZone string
	// Version is the resident's UpdatedAt (Unix nanoseconds) when the form
	// was shown: a resident changed meanwhile is not overwritten.
	Version string
}

func formOf(r outreach.Resident) residentForm {
	chans := make([]string, len(r.Channels))
	for i, c := range r.Channels {
		chans[i] = string(c)
	}
	return residentForm{Name: r.Name, Email: r.Email, Phone: r.Phone, Locale: r.Locale, Estate: r.EstateID(), Building: r.Building,
		Unit: r.Unit, Tags: strings.Join(r.Tags, ", "), Channels: strings.Join(chans, ", "), TimeZone: r.TimeZone,
		Version: strconv.FormatInt(r.UpdatedAt.UnixNano(), 10)}
}

type residentEditView struct {
	R       outreach.Resident
	Form    residentForm
	Errors  map[string]string
	Estates []outreach.Estate
	// Stale: the resident changed while the form was open; the form shows
	// it as it is now and nothing was saved.
	Stale bool
}

// visibleResident is the resident of the request's {id}, or false (after
// answering 404) when there is none the user sees.
func (c *Console) visibleResident(w http.ResponseWriter, r *http.Request) (outreach.Resident, bool) {
	res, err := c.cfg.Store.Resident(r.Context(), r.PathValue("id"))
	if isNotFound(err) || (err == nil && !sessionOf(r).User.Sees(res.EstateID())) {
		c.notFound(w, r)
		return res, false
	}
	if err != nil {
		c.serverError(w, r, err)
		return res, false
	}
	return res, true
}

// residentEditPage is the form that edits a resident's profile.
func residentEditPage(c *Console, w http.ResponseWriter, r *http.Request) {
	res, ok := c.visibleResident(w, r)
	if !ok {
		return
	}
	c.showResidentEdit(w, r, http.StatusOK, residentEditView{R: res, Form: formOf(res)})
}

func (c *Console) showResidentEdit(w http.ResponseWriter, r *http.Request, status int, v residentEditView) {
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	c.render(w, r, status, "resident_edit", "resident.edit", v)
}

// errStale is what saveResident's update function returns for a resident
// changed since the form was shown.
var errStale = errors.New("the resident changed meanwhile")

// saveResident stores the edit form: every field checked as an import row
// is (resident.Check), the errors next to the fields in the user's
// language and nothing stored unless all are right; a resident someone
// changed meanwhile is not overwritten (the form says so and shows it as
// it is now). The opt-outs, the attributes and the id are not the form's
// and stay as they are. In the audit log with the names of the fields
// changed (not their values: phones and emails stay out of logs).
func saveResident(c *Console, w http.ResponseWriter, r *http.Request) {
	res, ok := c.visibleResident(w, r)
	if !ok {
		return
	}
	f := residentForm{
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone"),
		Locale: r.PostFormValue("locale"), Estate: strings.TrimSpace(r.PostFormValue("estate")), Building: r.PostFormValue("building"),
		Unit: r.PostFormValue("unit"), Tags: r.PostFormValue("tags"), Channels: r.PostFormValue("channels"),
		TimeZone: r.PostFormValue("time_zone"), Version: r.PostFormValue("version"),
	}
	edited := res
	edited.Name, edited.Email, edited.Phone, edited.Locale = f.Name, f.Email, f.Phone, f.Locale
	edited.Estate, edited.Building, edited.Unit, edited.TimeZone = f.Estate, f.Building, f.Unit, f.TimeZone
	edited.Tags = resident.SplitList(f.Tags)
	edited.Channels = nil
	for _, ch := range resident.SplitList(f.Channels) {
		edited.Channels = append(edited.Channels, outreach.Channel(strings.ToLower(ch)))
	}
	errs := map[string]string{}
	checked, err := resident.Check(edited, c.cfg.PhoneRegion)
	var pe *resident.ProfileError
	switch {
	case errors.As(err, &pe):
		for _, p := range pe.Problems {
			field, key := profileErrorKey(p)
			if _, dup := errs[field]; !dup {
				errs[field] = key
			}
		}
	case err != nil:
		c.serverError(w, r, err)
		return
	}
	if _, bad := errs["estate"]; !bad && f.Estate != "" {
		if !sessionOf(r).User.Sees(f.Estate) {
			errs["estate"] = "error.choice"
		} else if _, err := c.cfg.Store.Estate(r.Context(), f.Estate); isNotFound(err) {
			errs["estate"] = "error.choice"
		} else if err != nil {
			c.serverError(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		c.showResidentEdit(w, r, http.StatusBadRequest, residentEditView{R: res, Form: f, Errors: errs})
		return
	}
	var changed []string
	saved, err := c.cfg.Store.UpdateResident(r.Context(), res.ID, func(cur *outreach.Resident) error {
		if strconv.FormatInt(cur.UpdatedAt.UnixNano(), 10) != f.Version {
			return errStale
		}
		changed = changedFields(*cur, checked)
		cur.Name, cur.Email, cur.Phone, cur.Locale = checked.Name, checked.Email, checked.Phone, checked.Locale
		cur.Estate, cur.Building, cur.Unit, cur.TimeZone = checked.Estate, checked.Building, checked.Unit, checked.TimeZone
		cur.Tags, cur.Channels = checked.Tags, checked.Channels
		return nil
	})
	switch {
	case errors.Is(err, errStale):
		now, err := c.cfg.Store.Resident(r.Context(), res.ID)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		c.showResidentEdit(w, r, http.StatusConflict, residentEditView{R: now, Form: formOf(now), Stale: true})
		return
	case isNotFound(err):
		c.notFound(w, r)
		return
	case err != nil:
		c.serverError(w, r, err)
		return
	}
	c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "resident_edit", Target: saved.ID,
		Detail: "changed: " + orNone(changed), Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/residents/"+saved.ID+"?saved=1", http.StatusSeeOther)
}

// profileErrorKey is the form field and the message key of one problem
// resident.Check found.
func profileErrorKey(p resident.FieldError) (string, string) {
	field := p.Field
	if field == "email/phone" {
		return "phone", "resident.error.contact"
	}
	switch {
	case errors.Is(p.Err, resident.ErrRequired):
		return field, "error.required"
	case field == "email":
		return field, "resident.error.email"
	case field == "phone":
		return field, "resident.error.phone"
	case field == "locale":
		return field, "resident.error.locale"
	case field == "time_zone":
		return field, "resident.error.timezone"
	case field == "channels", field == "estate":
		return field, "error.choice"
	}
	return field, "resident.error.text"
}

func changedFields(a, b outreach.Resident) []string {
	var out []string
	add := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	add("name", a.Name == b.Name)
	add("email", a.Email == b.Email)
	add("phone", a.Phone == b.Phone)
	add("locale", a.Locale == b.Locale)
	add("estate", a.EstateID() == b.EstateID())
	add("building", a.Building == b.Building)
	add("unit", a.Unit == b.Unit)
	add("time_zone", a.TimeZone == b.TimeZone)
	add("tags", slices.Equal(a.Tags, b.Tags))
	add("channels", slices.Equal(a.Channels, b.Channels))
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

// optOutChoice is one opt-out checkbox: a channel or a kind.
type optOutChoice struct {
	Name string
	Kind bool // a kind of message (else a channel)
	On   bool
}

func optOutChoices(r outreach.Resident) []optOutChoice {
	var out []optOutChoice
	for _, ch := range outreach.AllChannels {
		out = append(out, optOutChoice{Name: string(ch), On: slices.Contains(r.OptOutChannels, ch)})
	}
	for _, k := range outreach.Kinds {
		out = append(out, optOutChoice{Name: string(k), Kind: true, On: slices.Contains(r.OptOutKinds, k)})
	}
	return out
}

// saveOptOuts records the opt-outs a resident asked for (or withdrew),
// per channel and per kind of message. The form says which boxes were
// ticked when it was shown (was) and which are now (out); only what the
// user changed is applied, to the resident as it is now, in one update:
// an opt-out the resident sent meanwhile (STOP by SMS, the unsubscribe
// link) is kept. Unknown names are refused next to the boxes, nothing
// changed. In the audit log (+sms -holiday_greeting).
func saveOptOuts(c *Console, w http.ResponseWriter, r *http.Request) {
	res, ok := c.visibleResident(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "error.form")
		return
	}
	was, now := map[string]bool{}, map[string]bool{}
	bad := false
	for _, set := range []struct {
		m     map[string]bool
		names []string
	}{{was, r.PostForm["was"]}, {now, r.PostForm["out"]}} {
		for _, name := range set.names {
			if ch, k, err := outreach.ParseOptOut(name); err != nil || outreach.CheckOptOut(ch, k) != nil {
				bad = true
			} else {
				set.m[name] = true
			}
		}
	}
	if bad {
		c.showResident(w, r, http.StatusBadRequest, res, map[string]string{"optouts": "error.choice"})
		return
	}
	var diff []string
	for name := range now {
		if !was[name] {
			diff = append(diff, "+"+name)
		}
	}
	for name := range was {
		if !now[name] {
			diff = append(diff, "-"+name)
		}
	}
	slices.Sort(diff)
	if len(diff) > 0 {
		_, err := c.cfg.Store.UpdateResident(r.Context(), res.ID, func(cur *outreach.Resident) error {
			for _, d := range diff {
				ch, k, _ := outreach.ParseOptOut(d[1:])
				on := d[0] == '+'
				if ch != "" {
					cur.OptOutChannels = setMember(cur.OptOutChannels, ch, on)
				} else {
					cur.OptOutKinds = setMember(cur.OptOutKinds, k, on)
				}
			}
			return nil
		})
		if err != nil {
			c.loadFailed(w, r, err)
			return
		}
		c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "resident_optouts", Target: res.ID,
			Detail: strings.Join(diff, " "), Addr: clientAddr(r)})
	}
	http.Redirect(w, r, fmt.Sprintf("/console/residents/%s?optouts=1", res.ID), http.StatusSeeOther)
}

// setMember adds (on) or removes v, keeping s sorted and without repeats.
func setMember[S ~[]E, E ~string](s S, v E, on bool) S {
	s = slices.DeleteFunc(slices.Clone(s), func(e E) bool { return e == v })
	if on {
		s = append(s, v)
	}
	slices.Sort(s)
	return slices.Compact(s)
}
