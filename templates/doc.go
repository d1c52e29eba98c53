// Package templates renders the messages outreach sends: one template per
// kind of communication (or per override name), written per locale, for
// email (subject, plain text, HTML) and SMS.
//
// # Layout
//
// A template set is a directory tree (an fs.FS). The built-in set is embedded
// from the builtin/ folder of this package; an operator's override folder uses
// the same layout (see Load and Set.Overlay):
//
//	<name>/                     e.g. maintenance_notice; the kind's name is its default template
//	  <locale>/                 e.g. zh-CN, en, en-GB (canonical case: language lower, region upper)
//	    subject.txt.tmpl        email subject (text/template), one line
//	    body.txt.tmpl           email plain-text body (text/template)
//	    body.html.tmpl          email HTML body (html/template), optional
//	    sms.txt.tmpl            SMS text (text/template), optional
//	    sample.json             optional sample {"resident": {...}, "data": {...}}
//	<name>.<variant>/           e.g. maintenance_notice.elderly: same layout
//
// subject.txt.tmpl and body.txt.tmpl come together (that is the email
// version); body.html.tmpl needs them. A locale folder holds at least one of
// email and SMS. Every template has the default locale (zh-CN), and the
// default locale has every channel that any other locale of the template
// has, so locale fallback always lands on a complete message. Any other
// file is an error, so a misspelt file name is caught at load time rather
// than silently ignored. Files and folders whose names start with "." or "_"
// are skipped; files at the top level (a README) are ignored.
//
// When a sample.json is present, loading renders that locale with it for
// every channel, so a template that parses but fails to execute (a wrong
// helper argument, an HTML escaping problem, a variable its sample lacks)
// is caught at load time too.
//
// # Built-in set
//
// Six kinds (outreach.Kinds), each in zh-CN and en, for email and SMS:
// holiday_greeting, maintenance_notice, satisfaction_callback, follow_up,
// welcome (new residents: move-in information, office hours, how to reach
// the office) and escalation (to staff: what, where, since when, who
// reported). The first five have an elderly variant, the first four a
// new_resident variant (see VariantFor). Two more serve the satisfaction
// loop (package outreach/survey): survey_reask (SMS only, with an elderly
// variant in plain words) asks once more for a score, and
// survey_escalation tells staff of a low one. Each folder's sample.json
// shows the data it takes; the README lists it per kind.
//
// # Overrides and reload
//
// Set.Overlay (OverlayDir for a folder on disk) lays an operator's folder
// over a set: new templates, locales and variants are added, and a locale
// folder that exists already is merged channel by channel (an override's
// sms.txt.tmpl replaces the SMS and leaves the email as it was). An
// overriding folder without a sample.json is checked with the sample of the
// folder it overrides. Source describes the daemon's set (built-ins,
// OUTREACH_TEMPLATES_DIR, locale fallback) and Live serves it, swapping in
// a new set atomically on Reload and keeping the old one when the new one
// does not load.
//
// Load, Overlay and Reload report every problem they find, joined, each a
// *FileError with the file and line (and column) where it is:
//
//	/etc/outreach/templates/maintenance_notice/en/sms.txt.tmpl:2:7: parse template: unclosed action
//
// # Data
//
// Templates see a map, so that a missing key is an error, never "<no value>":
//
//	.Resident.Name .Resident.ID .Resident.Building .Resident.Unit .Resident.Locale
//	.Resident.Tags                 []string
//	.Resident.Attributes.floor     the extra columns of the resident import
//	.Data.title                    the job's data
//	.Locale                        the locale used, e.g. "en"
//	.Now                           time.Time of the render
//
// Job data values that are null or blank strings count as missing. A
// required value is written {{.Data.start}}: when the job lacks it, Render
// fails with a *MissingVariableError naming "start". An optional value is
// read with opt, which yields "" when the key is missing:
//
//	{{with opt .Data "reason"}}Reason: {{.}}{{end}}
//	{{opt .Data "contact" | default "400-000-0000"}}
//	{{or (opt .Resident "Name") "Resident"}}
//
// Resident fields that are empty are missing too, so templates greet with
// the form above and fall back to a generic word.
//
// Helpers: opt, has, default, upper, lower, trim, and the date helpers,
// which show a time (an RFC 3339 string such as "2026-12-02T09:00:00+08:00",
// or a time.Time such as .Now) in the language of the template's locale
// folder and in the resident's time zone (Resident.TimeZone, else
// Input.DefaultTimeZone, the daemon's OUTREACH_TIMEZONE):
//
//	{{date .Data.start}}            2026年12月2日 09:00 | 2 December 2026, 09:00
//	{{date "1月2日 15:04" .Data.start}}  any Go layout
//	{{time .Data.start}}            09:00
//	{{weekday .Data.start}}         星期三 | Wednesday ("" for a value that is not a time)
//	{{endDate .Data.start .Data.end}}  the end of a range: 12:00 on the start's day, else as date
//	{{endDate "1月2日 15:04" "15:04" .Data.start .Data.end}}  the same with layouts
//
// Languages other than Chinese and English get ISO dates (2026-12-02 09:00).
// A value that is not a time prints as it is, so free text such as
// "明天上午" passes through; use RFC 3339 in job data when residents of
// several locales or zones get the same job, so each message writes the
// time its own way.
//
// # Locale and variant
//
// The locale is chosen from the resident's locale, followed by the locales
// the configured fallback leads to (Set.WithLocaleFallback,
// OUTREACH_LOCALE_FALLBACK: zh-HK=zh-TW sends zh-HK residents to zh-TW).
// For those locales in that order: the exact tag ("en-GB"); then its
// language ("en"); then another locale of the same language (the first in
// sorted order, so "zh" and "zh-TW" get "zh-CN"); and last the default
// locale zh-CN. A message is never empty: a template that renders to blank
// is an error.
//
// The variant comes from the resident's tags (VariantFor: elderly, then
// new_resident, else default). With a Variant, <name>.<variant> is tried
// before <name> at each of the steps above, so the resident's language wins
// over the variant, and a template without that variant renders its
// default one. Rendered.Variant says which was used; the archive records it.
//
// Plain text and SMS are not escaped; HTML is escaped by html/template.
// Each rendering carries a Version: the first 12 hex digits of a SHA-256
// over the files used, stable across runs and changed by any edit.
package templates
