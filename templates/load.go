package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"maps"
	"os"
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

// OriginBuiltin is the Origin of the templates embedded in the binary.
const OriginBuiltin = "built-in"

// Load reads a template set laid out as described in the package
// documentation, parses every file, and checks the set: each template has
// the default locale, with every channel its other locales have; a variant
// has its base template; each sample renders. It reports every problem it
// finds, each a *FileError with the file and line (see FileErrors).
func Load(fsys fs.FS) (*Set, error) {
	return load(fsys, "")
}

// LoadDir is Load of a folder on disk; errors carry the files' paths on disk.
func LoadDir(dir string) (*Set, error) {
	s, err := load(os.DirFS(dir), dir)
	return s, rooted(err, dir)
}

func load(fsys fs.FS, origin string) (*Set, error) {
	s, err := parseSet(fsys, origin)
	if err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// Overlay returns a new set: s with the templates of fsys (same layout)
// laid over it. A template or locale that s lacks is added; a locale folder
// that s has is merged channel by channel: the override's email (subject,
// text and HTML together) replaces s's email, its SMS replaces s's SMS, and
// a channel the override does not write stays as it was. Without a
// sample.json of its own, an overriding folder is checked with the sample
// of the folder it overrides. The result is checked like Load's, and the
// errors are reported the same way. s is not changed.
func (s *Set) Overlay(fsys fs.FS) (*Set, error) {
	return s.overlay(fsys, "override")
}

// OverlayDir is Overlay of a folder on disk (OUTREACH_TEMPLATES_DIR); the
// templates it brings have the folder as their Origin, and errors carry
// the files' paths on disk.
func (s *Set) OverlayDir(dir string) (*Set, error) {
	out, err := s.overlay(os.DirFS(dir), dir)
	return out, rooted(err, dir)
}

func (s *Set) overlay(fsys fs.FS, origin string) (*Set, error) {
	over, err := parseSet(fsys, origin)
	if err != nil {
		return nil, err
	}
	merged := &Set{byName: maps.Clone(s.byName), fallback: s.fallback}
	for name, o := range over.byName {
		t := &named{name: name, locales: map[string]*localized{}}
		if old, ok := merged.byName[name]; ok {
			maps.Copy(t.locales, old.locales)
		}
		for loc, ol := range o.locales {
			if prev, ok := t.locales[loc]; ok {
				ol = prev.under(ol)
			}
			t.locales[loc] = ol
		}
		t.localeNames = slices.Sorted(maps.Keys(t.locales))
		merged.byName[name] = t
	}
	if err := merged.check(); err != nil {
		return nil, err
	}
	return merged, nil
}

// under returns l with over's channels and sample laid over it.
func (l *localized) under(over *localized) *localized {
	m := &localized{name: l.name, locale: l.locale, dir: over.dir, parts: maps.Clone(l.parts), sample: l.sample, sampleFrom: l.sampleFrom}
	maps.Copy(m.parts, over.parts)
	if over.sample != nil {
		m.sample, m.sampleFrom = over.sample, over.sampleFrom
	}
	return m
}

// parseSet reads every template folder of fsys, and reports the problems
// of all of them.
func parseSet(fsys fs.FS, origin string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, &FileError{Path: ".", Err: fmt.Errorf("read template folder: %w", err)}
	}
	s := &Set{byName: map[string]*named{}}
	var errs []error
	for _, e := range entries {
		if skipped(e.Name()) || !e.IsDir() {
			continue
		}
		if !validName.MatchString(e.Name()) {
			errs = append(errs, &FileError{Path: e.Name(), Err: errors.New("template folder name must be lower case letters, digits, _ or -, with an optional .variant")})
			continue
		}
		t, err := parseNamed(fsys, e.Name(), origin)
		errs = append(errs, err)
		if t != nil {
			s.byName[t.name] = t
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(s.byName) == 0 {
		return nil, &FileError{Path: ".", Err: errors.New("read template folder: no templates found")}
	}
	return s, nil
}

func skipped(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// parseNamed reads one template folder. It returns what it could read
// with the problems it found.
func parseNamed(fsys fs.FS, name, origin string) (*named, error) {
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, &FileError{Path: name, Err: fmt.Errorf("read template: %w", err)}
	}
	t := &named{name: name, locales: map[string]*localized{}}
	var errs []error
	for _, e := range entries {
		p := path.Join(name, e.Name())
		switch {
		case skipped(e.Name()):
			continue
		case !e.IsDir():
			errs = append(errs, &FileError{Path: p, Err: fmt.Errorf("unexpected file (a template folder holds locale folders such as %s/)", DefaultLocale)})
			continue
		case !validLocaleDir(e.Name()):
			errs = append(errs, &FileError{Path: p, Err: errors.New("folder is not a locale in canonical form such as zh-CN or en")})
			continue
		}
		l, err := parseLocalized(fsys, name, e.Name(), origin)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.locales[l.locale] = l
	}
	if len(t.locales) == 0 && len(errs) == 0 {
		errs = append(errs, &FileError{Path: name, Err: errors.New("no locale folders")})
	}
	t.localeNames = slices.Sorted(maps.Keys(t.locales))
	return t, errors.Join(errs...)
}

func parseLocalized(fsys fs.FS, name, locale, origin string) (*localized, error) {
	dir := path.Join(name, locale)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, &FileError{Path: dir, Err: fmt.Errorf("read template: %w", err)}
	}
	src := map[string][]byte{}
	var errs []error
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		switch {
		case skipped(e.Name()):
			continue
		case e.IsDir() || !slices.Contains(knownFiles, e.Name()):
			errs = append(errs, &FileError{Path: p, Err: fmt.Errorf("unexpected file (known files: %s)", strings.Join(knownFiles, ", "))})
			continue
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, &FileError{Path: p, Err: fmt.Errorf("read template: %w", err)})
			continue
		}
		src[e.Name()] = b
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	l := &localized{name: name, locale: locale, dir: dir, parts: map[outreach.Channel]*part{}}
	if err := l.parse(dir, src, origin); err != nil {
		return nil, err
	}
	return l, nil
}

// parse builds l's parts and sample from the files of its folder dir.
func (l *localized) parse(dir string, src map[string][]byte, origin string) error {
	_, hasSubject := src[fileSubject]
	_, hasText := src[fileText]
	_, hasHTML := src[fileHTML]
	switch {
	case hasSubject != hasText:
		return &FileError{Path: dir, Err: fmt.Errorf("email needs both %s and %s", fileSubject, fileText)}
	case hasHTML && !hasText:
		return &FileError{Path: dir, Err: fmt.Errorf("%s needs %s and %s", fileHTML, fileSubject, fileText)}
	case !hasText && src[fileSMS] == nil:
		return &FileError{Path: dir, Err: fmt.Errorf("no email (%s, %s) and no SMS (%s)", fileSubject, fileText, fileSMS)}
	}
	var errs []error
	if hasText {
		p := &part{version: version(dir, src, fileSubject, fileText, fileHTML), origin: origin}
		var err error
		if p.tmpl.subject, err = parseText(dir, fileSubject, l.locale, src); err != nil {
			errs = append(errs, err)
		}
		if p.tmpl.text, err = parseText(dir, fileText, l.locale, src); err != nil {
			errs = append(errs, err)
		}
		if hasHTML {
			if p.tmpl.html, err = parseHTML(dir, l.locale, src); err != nil {
				errs = append(errs, err)
			}
		}
		l.parts[outreach.ChannelEmail] = p
	}
	if _, ok := src[fileSMS]; ok {
		t, err := parseText(dir, fileSMS, l.locale, src)
		if err != nil {
			errs = append(errs, err)
		}
		l.parts[outreach.ChannelSMS] = &part{tmpl: parsed{text: t}, version: version(dir, src, fileSMS), origin: origin}
	}
	if b, ok := src[fileSample]; ok {
		smp, err := decodeSample(path.Join(dir, fileSample), b)
		if err != nil {
			errs = append(errs, err)
		}
		l.sample, l.sampleFrom = &smp, origin
	}
	return errors.Join(errs...)
}

// source is a template file's text with Windows line ends made plain.
func source(src map[string][]byte, file string) string {
	return strings.ReplaceAll(string(src[file]), "\r\n", "\n")
}

func parseText(dir, file, locale string, src map[string][]byte) (*texttemplate.Template, error) {
	name := path.Join(dir, file)
	t, err := texttemplate.New(name).Option("missingkey=error").Funcs(funcs(locale, nil)).Parse(source(src, file))
	if err != nil {
		return nil, templateError(name, fmt.Errorf("parse template: %w", err))
	}
	return t, nil
}

func parseHTML(dir, locale string, src map[string][]byte) (*htmltemplate.Template, error) {
	name := path.Join(dir, fileHTML)
	t, err := htmltemplate.New(name).Option("missingkey=error").Funcs(funcs(locale, nil)).Parse(source(src, fileHTML))
	if err != nil {
		return nil, templateError(name, fmt.Errorf("parse template: %w", err))
	}
	// html/template escapes a template on its first execution, and an
	// escaping problem (an action inside an unquoted attribute, say) shows
	// up only then. Execute a copy once without data to surface it now (the
	// template itself must stay unexecuted to be cloned per time zone); the
	// execution errors that follow from the missing data are expected.
	c, err := t.Clone()
	if err != nil {
		return nil, templateError(name, fmt.Errorf("parse template: %w", err))
	}
	var escErr *htmltemplate.Error
	if err := c.Execute(io.Discard, nil); errors.As(err, &escErr) {
		return nil, templateError(name, fmt.Errorf("parse template: %w", err))
	}
	return t, nil
}
