package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/preview"
	"github.com/outreach-dev/outreach/templates"
)

type templatesForm struct{ Template, Variant, Locale, Channel, Resident string }

// templateRow is one template x variant x locale of the set, with its
// channels.
type templateRow struct {
	Template, Variant, Locale string
	Channels                  []templates.Info
	// Override: a channel comes from the operators' folder
	// (OUTREACH_TEMPLATES_DIR), not the built-in set.
	Override bool
}

type templatesView struct {
	Form      templatesForm
	Errors    map[string]string
	Rows      []templateRow
	Names     []string // the base templates
	Variants  []string // of any template, the default first
	Locales   []string
	Channels  []outreach.Channel
	Overrides int
	// Preview is what the chosen template renders for the resident
	// (sample or real); Sample says it is the sample one.
	Preview  *preview.Preview
	Resident outreach.Resident
	Sample   bool
}

// sampleNames are the sample residents' names, by language.
var sampleNames = map[string]string{"zh-CN": "王秀英", "en": "Mary Chen"}

// templatesPage lists every template of the live set (the daemon's, with
// the operators' overrides over the built-in one, as `outreach templates
// list`) by kind, variant, locale and channel, each with its version and
// where it comes from (an override is marked); with a template chosen,
// a live preview (htmx re-renders it as the form changes) on a sample
// resident of the chosen variant and language, with the template's sample
// data, or on a real resident of the user's estates, with their own
// variant and language (preview.Render, as `outreach templates preview`).
func templatesPage(c *Console, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := templatesForm{Template: q.Get("template"), Variant: q.Get("variant"), Locale: q.Get("locale"), Channel: q.Get("channel"), Resident: strings.TrimSpace(q.Get("resident"))}
	set := c.cfg.Templates()
	v := templatesView{Form: f, Errors: map[string]string{}, Channels: outreach.AllChannels}
	v.list(set)
	status := http.StatusOK
	if f.Template != "" {
		v.checkChoices()
		var estate outreach.Estate
		if f.Resident != "" {
			var ok bool
			if estate, ok = c.previewResident(w, r, &v); !ok {
				return
			}
		} else {
			v.Sample, v.Resident = true, sampleResident(f)
		}
		if len(v.Errors) == 0 {
			kind := outreach.Kind(f.Template)
			if !kind.Valid() {
				kind = ""
			}
			p := preview.Render(set, v.Resident, preview.Request{Kind: kind, Template: f.Template, Channel: outreach.Channel(f.Channel), Sample: true,
				Estate: estate, Now: c.now(), DefaultTimeZone: c.cfg.TimeZone})
			v.Preview = &p
		} else {
			status = http.StatusBadRequest
		}
	}
	c.render(w, r, status, "templates", "templates.title", v)
}

// list fills the view's rows (those of the chosen template, or all), one
// per template, variant and locale with its channels, and the choices of
// the form: every template, locale and variant of the set.
func (v *templatesView) list(set *templates.Set) {
	byKey := map[string]int{}
	for _, info := range set.List() {
		if !slices.Contains(v.Names, info.Template) {
			v.Names = append(v.Names, info.Template)
		}
		if !slices.Contains(v.Locales, info.Locale) {
			v.Locales = append(v.Locales, info.Locale)
		}
		if v.Form.Template != "" && info.Template != v.Form.Template {
			continue
		}
		key := info.Template + "/" + info.Variant + "/" + info.Locale
		i, ok := byKey[key]
		if !ok {
			i = len(v.Rows)
			byKey[key] = i
			v.Rows = append(v.Rows, templateRow{Template: info.Template, Variant: info.Variant, Locale: info.Locale})
		}
		v.Rows[i].Channels = append(v.Rows[i].Channels, info)
		if info.Origin != templates.OriginBuiltin {
			v.Rows[i].Override = true
			v.Overrides++
		}
	}
	slices.Sort(v.Locales)
	// Every variant any template has (the form stays as the preview is
	// swapped): one a template lacks renders its default, and says so.
	v.Variants = []string{templates.DefaultVariant}
	for _, name := range v.Names {
		for _, vr := range set.Variants(name) {
			if !slices.Contains(v.Variants, vr) {
				v.Variants = append(v.Variants, vr)
			}
		}
	}
}

// checkChoices marks each choice of the form that is not among the
// view's.
func (v *templatesView) checkChoices() {
	f := v.Form
	if !slices.Contains(v.Names, f.Template) {
		v.Errors["template"] = "error.choice"
	}
	if f.Variant != "" && !slices.Contains(v.Variants, f.Variant) {
		v.Errors["variant"] = "error.choice"
	}
	if f.Locale != "" && !slices.Contains(v.Locales, f.Locale) {
		v.Errors["locale"] = "error.choice"
	}
	if f.Channel != "" && !slices.Contains(outreach.AllChannels, outreach.Channel(f.Channel)) {
		v.Errors["channel"] = "error.choice"
	}
}

// previewResident looks up the form's resident (one of the user's
// estates, else an error on the form) and their estate. ok is false when
// the store failed and the error page is written.
func (c *Console) previewResident(w http.ResponseWriter, r *http.Request, v *templatesView) (estate outreach.Estate, ok bool) {
	res, err := c.cfg.Store.Resident(r.Context(), v.Form.Resident)
	switch {
	case isNotFound(err) || (err == nil && !sessionOf(r).User.Sees(res.EstateID())):
		v.Errors["resident"] = "templates.error.resident"
	case err != nil:
		c.serverError(w, r, err)
		return estate, false
	default:
		v.Resident = res
		if estate, err = c.cfg.Store.Estate(r.Context(), res.EstateID()); err != nil && !isNotFound(err) {
			c.serverError(w, r, err)
			return estate, false
		}
	}
	return estate, true
}

// sampleResident is the sample resident of the form's language (the
// default one when none is chosen) and variant.
func sampleResident(f templatesForm) outreach.Resident {
	loc := f.Locale
	if loc == "" {
		loc = templates.DefaultLocale
	}
	res := outreach.Resident{ID: "sample", Name: sampleNames[loc], Locale: loc, Phone: "+8613800138000", Email: "resident@example.com", Building: "3", Unit: "1202"}
	if res.Name == "" {
		res.Name = sampleNames["en"]
	}
	if f.Variant != "" && f.Variant != templates.DefaultVariant {
		res.Tags = []string{f.Variant}
	}
	return res
}

// IsOverride reports whether a channel's template is the operators'.
func (v templatesView) IsOverride(origin string) bool { return origin != templates.OriginBuiltin }
