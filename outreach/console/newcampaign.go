package console

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/preview"
	"github.com/outreach-dev/outreach/templates"
)

// The create flow's steps, in order. Every step is a GET of
// /console/campaigns/new with the whole form so far (the fields of the
// other steps ride along as hidden fields), so nothing is stored until
// the last one, a POST of /console/campaigns: nothing is ever half-saved.
// Going forward checks every step before the one asked for, on the
// server; the first that fails is shown again with its errors next to
// the fields.
var newSteps = []string{"kind", "audience", "data", "preview", "when", "confirm"}

// The fields of each step (the others are carried hidden).
var stepFields = map[string][]string{
	"kind":     {"name", "kind", "template", "priority"},
	"audience": {"estate", "building", "unit", "tags", "locale", "all"},
	"data":     {"data", "channels"},
	"when":     {"when", "at", "local_time", "on", "every"},
}

// Bounds of what the form takes.
const (
	maxCampaignName = 200
	maxDataLines    = 50
	maxDataValue    = 2000
	sampleSize      = 5
)

var dataKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// newForm is the create flow's form as typed.
type newForm struct {
	Name, Kind, Template, Priority       string
	Estate, Building, Unit, Tags, Locale string
	All                                  bool
	Data                                 string
	Channels                             []string
	When, At, LocalTime, On, Every       string
	// Nonce names this run of the flow, so that a confirm sent twice
	// creates one campaign.
	Nonce string
}

func readNewForm(r *http.Request) newForm {
	_ = r.ParseForm()
	g := func(k string) string { return strings.TrimSpace(r.Form.Get(k)) }
	f := newForm{Name: g("name"), Kind: g("kind"), Template: g("template"), Priority: g("priority"),
		Estate: g("estate"), Building: g("building"), Unit: g("unit"), Tags: g("tags"), Locale: g("locale"), All: g("all") == "1",
		Data: strings.TrimSpace(r.Form.Get("data")), Channels: r.Form["channels"],
		When: g("when"), At: g("at"), LocalTime: g("local_time"), On: g("on"), Every: g("every"), Nonce: g("nonce")}
	if f.Nonce == "" {
		f.Nonce = randomToken()[:16]
	}
	return f
}

// hidden are the fields not on step, as hidden inputs.
type hiddenField struct{ Name, Value string }

func (f newForm) hidden(step string) []hiddenField {
	mine := stepFields[step]
	var out []hiddenField
	add := func(name, value string) {
		if value != "" && !slices.Contains(mine, name) {
			out = append(out, hiddenField{name, value})
		}
	}
	add("name", f.Name)
	add("kind", f.Kind)
	add("template", f.Template)
	add("priority", f.Priority)
	add("estate", f.Estate)
	add("building", f.Building)
	add("unit", f.Unit)
	add("tags", f.Tags)
	add("locale", f.Locale)
	if f.All {
		add("all", "1")
	}
	add("data", f.Data)
	for _, ch := range f.Channels {
		add("channels", ch)
	}
	add("when", f.When)
	add("at", f.At)
	add("local_time", f.LocalTime)
	add("on", f.On)
	add("every", f.Every)
	add("nonce", f.Nonce)
	return out
}

// draft is what the steps checked so far make of the form.
type draft struct {
	Spec    outreach.Campaign
	Count   int
	Sample  []outreach.Resident
	Preview []previewSlot
}

// previewSlot is one real resident of the audience and what they would
// receive: the elderly one, a new resident, an English speaker and a
// regular one (whichever the audience has).
type previewSlot struct {
	Role     string // message key: preview.elderly, ...
	Resident outreach.Resident
	Preview  preview.Preview
}

type newView struct {
	Step     string
	Steps    []string
	Form     newForm
	Hidden   []hiddenField
	Errors   map[string]string // by field, translated
	Estates  []outreach.Estate
	Kinds    []outreach.Kind
	Channels []outreach.Channel
	Draft    draft
	// Missing: roles of the preview without such a resident in the
	// audience.
	Missing []string
	Zone    string
	// SampleData is the template's sample data (the data step's hint).
	SampleData []hiddenField
}

func (v newView) HasChannel(ch outreach.Channel) bool {
	return slices.Contains(v.Form.Channels, string(ch))
}

// newCampaignPage is the create flow: the step asked for (go), once every
// step before it checks out.
func newCampaignPage(c *Console, w http.ResponseWriter, r *http.Request) {
	f := readNewForm(r)
	target := r.Form.Get("go")
	if !slices.Contains(newSteps, target) {
		target = newSteps[0]
	}
	c.runNew(w, r, f, target, false)
}

// createCampaign is the flow's last step: everything is checked again and
// the campaign created (campaign.Service.Create), in the audit log.
func createCampaign(c *Console, w http.ResponseWriter, r *http.Request) {
	f := readNewForm(r)
	if id, ok := c.createdBy(f.Nonce); ok {
		http.Redirect(w, r, "/console/campaigns/"+id+"?created=1", http.StatusSeeOther)
		return
	}
	c.runNew(w, r, f, "create", true)
}

// runNew checks the steps before target and shows target, or the first
// step that fails; with create, every step, then creates.
func (c *Console) runNew(w http.ResponseWriter, r *http.Request, f newForm, target string, create bool) {
	lang := langOf(r)
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v := newView{Steps: newSteps, Form: f, Errors: map[string]string{}, Estates: estates, Kinds: outreach.Kinds,
		Channels: outreach.AllChannels, Zone: c.cfg.TimeZone.String()}
	for _, step := range newSteps {
		if step == target {
			break
		}
		if err := c.checkStep(r, lang, step, &v); err != nil {
			c.serverError(w, r, err)
			return
		}
		if len(v.Errors) > 0 {
			v.Step = step
			v.Hidden = f.hidden(step)
			c.render(w, r, http.StatusBadRequest, "newcampaign", "new.title", v)
			return
		}
	}
	if create {
		cp, err := c.campaigns().Create(r.Context(), v.Draft.Spec)
		if errors.Is(err, campaign.ErrInvalid) {
			v.Step, v.Hidden = "when", f.hidden("when")
			v.Errors["when"] = translate(lang, "new.error.invalid", err.Error())
			c.render(w, r, http.StatusBadRequest, "newcampaign", "new.title", v)
			return
		}
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		c.remember(f.Nonce, cp.ID)
		c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "campaign_create", Target: cp.ID,
			Detail: fmt.Sprintf("%s; %d residents", cp.Name, v.Draft.Count), Addr: clientAddr(r)})
		http.Redirect(w, r, "/console/campaigns/"+cp.ID+"?created=1", http.StatusSeeOther)
		return
	}
	v.Step, v.Hidden = target, f.hidden(target)
	// What the step shows: the audience's count and sample as it is
	// typed (the live count polls this), the previews.
	var err2 error
	switch target {
	case "audience":
		err2 = c.checkStep(r, lang, "audience", &v)
	case "preview":
		err2 = c.previewDraft(r, &v)
	case "data":
		// What the template's sample gives, as a hint of what it needs.
		in := templates.Input{Kind: v.Draft.Spec.Kind, Template: v.Draft.Spec.Template, Locale: lang, Variant: templates.DefaultVariant, Channel: outreach.ChannelEmail}
		if smp, ok := c.cfg.Templates().SampleFor(in); ok {
			for _, k := range slices.Sorted(maps.Keys(smp.Data)) {
				v.SampleData = append(v.SampleData, hiddenField{k, fmt.Sprint(smp.Data[k])})
			}
		}
	}
	if err2 != nil {
		c.serverError(w, r, err2)
		return
	}
	c.render(w, r, http.StatusOK, "newcampaign", "new.title", v)
}

// checkStep checks one step of v.Form, filling v.Draft and v.Errors.
func (c *Console) checkStep(r *http.Request, lang, step string, v *newView) error {
	f, d, errs := v.Form, &v.Draft, v.Errors
	fail := func(field, key string, args ...any) { errs[field] = translate(lang, key, args...) }
	switch step {
	case "kind":
		switch n := utf8.RuneCountInString(f.Name); {
		case n == 0:
			fail("name", "new.error.name")
		case n > maxCampaignName:
			fail("name", "new.error.long", maxCampaignName)
		}
		d.Spec.Name, d.Spec.Kind = f.Name, outreach.Kind(f.Kind)
		if !d.Spec.Kind.Valid() {
			fail("kind", "error.choice")
		}
		d.Spec.Priority = outreach.Priority(f.Priority)
		if !d.Spec.Priority.Valid() {
			fail("priority", "error.choice")
		}
		d.Spec.Template = f.Template
		if f.Template != "" && !slices.Contains(c.cfg.Templates().Names(), f.Template) {
			fail("template", "new.error.template")
		}
	case "audience":
		return c.checkAudience(r, lang, v)
	case "data":
		d.Spec.Data = nil
		lines := strings.Split(f.Data, "\n")
		if f.Data != "" && len(lines) > maxDataLines {
			fail("data", "new.error.datalines", maxDataLines)
			break
		}
		for i, line := range lines {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			k, val, ok := strings.Cut(line, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			switch {
			case !ok || !dataKey.MatchString(k):
				fail("data", "new.error.dataline", i+1)
			case utf8.RuneCountInString(val) > maxDataValue || strings.ContainsRune(val, 0):
				fail("data", "new.error.datavalue", i+1, maxDataValue)
			}
			if _, bad := errs["data"]; bad {
				break
			}
			if d.Spec.Data == nil {
				d.Spec.Data = map[string]any{}
			}
			d.Spec.Data[k] = val
		}
		d.Spec.Channels = nil
		for _, ch := range f.Channels {
			if !slices.Contains(outreach.AllChannels, outreach.Channel(ch)) {
				fail("channels", "error.choice")
				break
			}
			if !slices.Contains(d.Spec.Channels, outreach.Channel(ch)) {
				d.Spec.Channels = append(d.Spec.Channels, outreach.Channel(ch))
			}
		}
	case "preview":
		if err := c.previewDraft(r, v); err != nil {
			return err
		}
		for _, s := range d.Preview {
			for _, p := range s.Preview.Renderings {
				if p.Error != "" {
					fail("preview", "new.error.render", s.Resident.ID, p.Channel, p.Error)
					return nil
				}
			}
		}
	case "when":
		c.checkWhen(lang, v)
	}
	return nil
}

// checkAudience reads the audience and counts who is in it (the residents
// the campaign would be expanded to: Store.Residents, as the expander
// walks them), with a sample. A limited user's audience is within one of
// its estates: with one estate it is that one; with several one must be
// chosen.
func (c *Console) checkAudience(r *http.Request, lang string, v *newView) error {
	f, d := v.Form, &v.Draft
	fail := func(field, key string, args ...any) { v.Errors[field] = translate(lang, key, args...) }
	u := sessionOf(r).User
	a := outreach.Audience{Estate: f.Estate, Building: f.Building, Unit: f.Unit, Locale: f.Locale}
	for t := range strings.SplitSeq(f.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(a.Tags, t) {
			a.Tags = append(a.Tags, t)
		}
	}
	if u.Limited() && a.Estate == "" && len(u.Estates) == 1 {
		a.Estate = u.Estates[0]
	}
	switch {
	case a.Estate == "" && u.Limited():
		fail("estate", "new.error.estate.choose")
	case a.Estate != "" && !slices.ContainsFunc(v.Estates, func(e outreach.Estate) bool { return e.ID == a.Estate }):
		// Unknown, or another estate's: the same answer.
		fail("estate", "error.choice")
	}
	for _, s := range []struct{ field, value string }{{"building", a.Building}, {"unit", a.Unit}, {"locale", a.Locale}, {"tags", f.Tags}} {
		if utf8.RuneCountInString(s.value) > 64 || strings.ContainsRune(s.value, 0) {
			fail(s.field, "new.error.long", 64)
		}
	}
	a.All = f.All && a.Estate == "" && a.Building == "" && a.Unit == "" && len(a.Tags) == 0 && a.Locale == ""
	if len(v.Errors) > 0 {
		return nil
	}
	if a.Empty() {
		fail("audience", "new.error.nobody")
		return nil
	}
	d.Spec.Audience = a
	d.Count = 0
	if err := c.cfg.Store.Residents(r.Context(), a, func(outreach.Resident) error { d.Count++; return nil }); err != nil {
		return fmt.Errorf("count the audience: %w", err)
	}
	sample, err := c.cfg.Store.ListResidents(r.Context(), outreach.ResidentFilter{Audience: a, Estates: limitOf(r), Limit: sampleSize})
	if err != nil {
		return fmt.Errorf("sample the audience: %w", err)
	}
	d.Sample = sample
	if d.Count == 0 {
		fail("audience", "new.error.empty")
	}
	return nil
}

// previewDraft renders the campaign for real residents of its audience
// (preview.Render, as `outreach templates preview` and the API do): an
// elderly one, a new resident, an English speaker and a regular one, on
// each of the campaign's channels (both when it names none).
func (c *Console) previewDraft(r *http.Request, v *newView) error {
	d := &v.Draft
	a := d.Spec.Audience
	find := func(extra func(*outreach.Audience), ok func(outreach.Resident) bool) (outreach.Resident, bool, error) {
		b := a
		b.Tags = slices.Clone(a.Tags)
		if extra != nil {
			extra(&b)
		}
		rs, err := c.cfg.Store.ListResidents(r.Context(), outreach.ResidentFilter{Audience: b, Estates: limitOf(r), Limit: 50})
		if err != nil {
			return outreach.Resident{}, false, fmt.Errorf("find residents to preview: %w", err)
		}
		for _, res := range rs {
			if ok(res) {
				return res, true, nil
			}
		}
		return outreach.Resident{}, false, nil
	}
	english := func(res outreach.Resident) bool { return strings.HasPrefix(strings.ToLower(res.Locale), "en") }
	slots := []struct {
		role  string
		extra func(*outreach.Audience)
		ok    func(outreach.Resident) bool
	}{
		{"preview.elderly", func(b *outreach.Audience) { b.Tags = append(b.Tags, templates.VariantElderly) }, func(outreach.Resident) bool { return true }},
		{"preview.new", func(b *outreach.Audience) { b.Tags = append(b.Tags, templates.VariantNewResident) },
			func(res outreach.Resident) bool { return templates.VariantFor(res) == templates.VariantNewResident }},
		{"preview.english", nil, english},
		{"preview.regular", nil, func(res outreach.Resident) bool {
			return templates.VariantFor(res) == templates.DefaultVariant && !english(res)
		}},
	}
	set := c.cfg.Templates()
	estates := map[string]outreach.Estate{}
	for _, e := range v.Estates {
		estates[e.ID] = e
	}
	seen := map[string]bool{}
	for _, s := range slots {
		res, ok, err := find(s.extra, s.ok)
		if err != nil {
			return err
		}
		if !ok {
			v.Missing = append(v.Missing, s.role)
			continue
		}
		if seen[res.ID] {
			continue
		}
		seen[res.ID] = true
		channels := d.Spec.Channels
		if len(channels) == 0 {
			channels = outreach.AllChannels
		}
		p := preview.Preview{ResidentID: res.ID, Kind: d.Spec.Kind, Template: d.Spec.Template}
		for _, ch := range channels {
			one := preview.Render(set, res, preview.Request{Kind: d.Spec.Kind, Template: d.Spec.Template, Channel: ch, Data: d.Spec.Data,
				Estate: estates[res.EstateID()], Now: c.now(), DefaultTimeZone: c.cfg.TimeZone})
			p.Variant = one.Variant
			p.Renderings = append(p.Renderings, one.Renderings...)
		}
		d.Preview = append(d.Preview, previewSlot{Role: s.role, Resident: res, Preview: p})
	}
	return nil
}

// checkWhen reads the schedule (now, at a time, at a local time on a date
// in each resident's zone, or recurring) and checks the whole campaign as
// Create will (campaign.Service.Check).
func (c *Console) checkWhen(lang string, v *newView) {
	f, d := v.Form, &v.Draft
	fail := func(field, key string, args ...any) { v.Errors[field] = translate(lang, key, args...) }
	d.Spec.Schedule = outreach.Schedule{}
	switch f.When {
	case "", "now":
	case "at":
		at, err := time.ParseInLocation("2006-01-02T15:04", f.At, c.cfg.TimeZone)
		switch {
		case err != nil:
			fail("at", "new.error.at")
		case at.Before(c.now().Add(-time.Minute)):
			fail("at", "new.error.past")
		default:
			d.Spec.Schedule.At = &at
		}
	case "local":
		if _, err := time.Parse("15:04", f.LocalTime); err != nil {
			fail("local_time", "new.error.clock")
		}
		if _, err := time.Parse("2006-01-02", f.On); err != nil {
			fail("on", "error.date")
		}
		d.Spec.Schedule.LocalTime, d.Spec.Schedule.On = f.LocalTime, f.On
	case "every":
		if f.Every == "" {
			fail("every", "new.error.every")
		}
		d.Spec.Schedule.Every = f.Every
	default:
		fail("when", "error.choice")
	}
	if len(v.Errors) > 0 {
		return
	}
	if err := c.campaigns().Check(d.Spec); err != nil {
		field := "when"
		switch f.When {
		case "every":
			field = "every"
		case "local":
			field = "local_time"
		}
		fail(field, "new.error.invalid", strings.TrimPrefix(err.Error(), campaign.ErrInvalid.Error()+": "))
	}
}

// nonceTTL is how long the console remembers the campaign a run of the
// create flow made.
const nonceTTL = time.Hour

type createdCampaign struct {
	id string
	at time.Time
}

// remember notes that nonce's flow created campaign id.
func (c *Console) remember(nonce, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for n, cc := range c.created {
		if now.Sub(cc.at) > nonceTTL {
			delete(c.created, n)
		}
	}
	c.created[nonce] = createdCampaign{id: id, at: now}
}

// createdBy is the campaign nonce's flow created, if any.
func (c *Console) createdBy(nonce string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc, ok := c.created[nonce]
	return cc.id, ok && c.now().Sub(cc.at) <= nonceTTL
}

// Prev and Next are the steps around v's.
func (v newView) Prev() string {
	i := slices.Index(newSteps, v.Step)
	if i <= 0 {
		return ""
	}
	return newSteps[i-1]
}

func (v newView) Next() string {
	i := slices.Index(newSteps, v.Step)
	if i < 0 || i+1 >= len(newSteps) {
		return ""
	}
	return newSteps[i+1]
}

// BackQuery is the query of the step before v's, with the whole form: the
// confirm step's way back (a link: its form is a POST).
func (v newView) BackQuery() template.URL {
	q := url.Values{"go": {v.Prev()}}
	for _, h := range v.Form.hidden("") {
		q.Add(h.Name, h.Value)
	}
	return template.URL(q.Encode())
}
