package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/outreach-dev/outreach/outreach"
)

// The files of a locale folder.
const (
	fileSubject = "subject.txt.tmpl"
	fileText    = "body.txt.tmpl"
	fileHTML    = "body.html.tmpl"
	fileSMS     = "sms.txt.tmpl"
	fileSample  = "sample.json"
)

var knownFiles = []string{fileSubject, fileText, fileHTML, fileSMS, fileSample}

// validName matches template folder names: "maintenance_notice" or
// "maintenance_notice.elderly".
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)?$`)

// Load reads a template set laid out as described in the package
// documentation, parses every file, and checks the set: each template has
// the default locale, with every channel its other locales have; a variant
// has its base template; each sample renders.
func Load(fsys fs.FS) (*Set, error) {
	s, err := parseSet(fsys)
	if err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// Overlay returns a new set: s with the templates of fsys (same layout)
// added, each locale folder of fsys replacing the same locale of the same
// template in s. The result is checked like Load's. s is not changed.
func (s *Set) Overlay(fsys fs.FS) (*Set, error) {
	over, err := parseSet(fsys)
	if err != nil {
		return nil, err
	}
	merged := &Set{byName: maps.Clone(s.byName), fallback: s.fallback}
	for name, o := range over.byName {
		t := &named{name: name, locales: map[string]*localized{}}
		if old, ok := merged.byName[name]; ok {
			maps.Copy(t.locales, old.locales)
		}
		maps.Copy(t.locales, o.locales)
		t.localeNames = slices.Sorted(maps.Keys(t.locales))
		merged.byName[name] = t
	}
	if err := merged.check(); err != nil {
		return nil, err
	}
	return merged, nil
}

func parseSet(fsys fs.FS) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read template folder: %w", err)
	}
	s := &Set{byName: map[string]*named{}}
	for _, e := range entries {
		if skipped(e.Name()) || !e.IsDir() {
			continue
		}
		if !validName.MatchString(e.Name()) {
			return nil, fmt.Errorf("template folder %q: name must be lower case letters, digits, _ or -, with an optional .variant", e.Name())
		}
		t, err := parseNamed(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		s.byName[t.name] = t
	}
	if len(s.byName) == 0 {
		return nil, errors.New("read template folder: no templates found")
	}
	return s, nil
}

func skipped(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func parseNamed(fsys fs.FS, name string) (*named, error) {
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", name, err)
	}
	t := &named{name: name, locales: map[string]*localized{}}
	for _, e := range entries {
		switch {
		case skipped(e.Name()):
			continue
		case !e.IsDir():
			return nil, fmt.Errorf("template %s: unexpected file %q (a template folder holds locale folders such as %s/)", name, e.Name(), DefaultLocale)
		case !validLocaleDir(e.Name()):
			return nil, fmt.Errorf("template %s: folder %q is not a locale in canonical form such as zh-CN or en", name, e.Name())
		}
		l, err := parseLocalized(fsys, name, e.Name())
		if err != nil {
			return nil, err
		}
		t.locales[l.locale] = l
	}
	if len(t.locales) == 0 {
		return nil, fmt.Errorf("template %s: no locale folders", name)
	}
	t.localeNames = slices.Sorted(maps.Keys(t.locales))
	return t, nil
}

func parseLocalized(fsys fs.FS, name, locale string) (*localized, error) {
	dir := path.Join(name, locale)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", dir, err)
	}
	src := map[string][]byte{}
	for _, e := range entries {
		switch {
		case skipped(e.Name()):
			continue
		case e.IsDir() || !slices.Contains(knownFiles, e.Name()):
			return nil, fmt.Errorf("template %s: unexpected %q (known files: %s)", dir, e.Name(), strings.Join(knownFiles, ", "))
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read template %s: %w", dir, err)
		}
		src[e.Name()] = b
	}
	l := &localized{name: name, locale: locale, parts: map[outreach.Channel]*part{}}
	if err := l.parse(dir, src); err != nil {
		return nil, err
	}
	return l, nil
}

// parse builds l's parts and sample from the files of its folder dir.
func (l *localized) parse(dir string, src map[string][]byte) error {
	_, hasSubject := src[fileSubject]
	_, hasText := src[fileText]
	_, hasHTML := src[fileHTML]
	switch {
	case hasSubject != hasText:
		return fmt.Errorf("template %s: email needs both %s and %s", dir, fileSubject, fileText)
	case hasHTML && !hasText:
		return fmt.Errorf("template %s: %s needs %s and %s", dir, fileHTML, fileSubject, fileText)
	case !hasText && src[fileSMS] == nil:
		return fmt.Errorf("template %s: no email (%s, %s) and no SMS (%s)", dir, fileSubject, fileText, fileSMS)
	}
	if hasText {
		p := &part{version: version(dir, src, fileSubject, fileText, fileHTML)}
		var err error
		if p.tmpl.subject, err = parseText(dir, fileSubject, l.locale, src); err != nil {
			return err
		}
		if p.tmpl.text, err = parseText(dir, fileText, l.locale, src); err != nil {
			return err
		}
		if hasHTML {
			if p.tmpl.html, err = parseHTML(dir, l.locale, src); err != nil {
				return err
			}
		}
		l.parts[outreach.ChannelEmail] = p
	}
	if _, ok := src[fileSMS]; ok {
		t, err := parseText(dir, fileSMS, l.locale, src)
		if err != nil {
			return err
		}
		l.parts[outreach.ChannelSMS] = &part{tmpl: parsed{text: t}, version: version(dir, src, fileSMS)}
	}
	if b, ok := src[fileSample]; ok {
		smp, err := decodeSample(b)
		if err != nil {
			return fmt.Errorf("template %s: read %s: %w", dir, fileSample, err)
		}
		l.sample = &smp
	}
	return nil
}

// source is a template file's text with Windows line ends made plain.
func source(src map[string][]byte, file string) string {
	return strings.ReplaceAll(string(src[file]), "\r\n", "\n")
}

func parseText(dir, file, locale string, src map[string][]byte) (*texttemplate.Template, error) {
	name := path.Join(dir, file)
	t, err := texttemplate.New(name).Option("missingkey=error").Funcs(funcs(locale, nil)).Parse(source(src, file))
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return t, nil
}

func parseHTML(dir, locale string, src map[string][]byte) (*htmltemplate.Template, error) {
	name := path.Join(dir, fileHTML)
	t, err := htmltemplate.New(name).Option("missingkey=error").Funcs(funcs(locale, nil)).Parse(source(src, fileHTML))
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	// html/template escapes a template on its first execution, and an
	// escaping problem (an action inside an unquoted attribute, say) shows
	// up only then. Execute a copy once without data to surface it now (the
	// template itself must stay unexecuted to be cloned per time zone); the
	// execution errors that follow from the missing data are expected.
	c, err := t.Clone()
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	var escErr *htmltemplate.Error
	if err := c.Execute(io.Discard, nil); errors.As(err, &escErr) {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return t, nil
}
