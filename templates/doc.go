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
// helper argument, an HTML escaping problem) is caught at load time too.
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
// Helpers: opt, has, default, upper, lower, trim; date, which formats an
// RFC 3339 string or a time.Time with a Go layout and prints any other value
// as it is ({{date "2006-01-02 15:04" .Data.start}}); and endDate, which
// formats the end of a range with a shorter layout when it falls on the
// start's day ({{endDate "1月2日 15:04" "15:04" .Data.start .Data.end}}).
// Use RFC 3339 times in job data when residents of several locales get the
// same job, so each locale writes the time its own way.
//
// # Locale and variant
//
// The locale is chosen from the resident's locale: the exact tag ("en-GB"),
// then its language ("en"), then another locale of the same language
// (the first in sorted order, so "zh" and "zh-TW" get "zh-CN"), then the
// default locale zh-CN. With a Variant (e.g. "elderly"), <name>.<variant>
// is tried before <name> at each of those steps, so the resident's language
// wins over the variant.
//
// Plain text and SMS are not escaped; HTML is escaped by html/template.
// Each rendering carries a Version: the first 12 hex digits of a SHA-256
// over the files used, stable across runs and changed by any edit.
package templates
