package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/outreach-dev/outreach/outreach"
)

// Set is a loaded, validated set of templates. It is immutable and safe for
// concurrent use.
type Set struct {
	byName   map[string]*named
	fallback map[string]string // canonical locale -> the locale to try next; see WithLocaleFallback
}

// named is one template folder: a kind's template, an override name, or a
// variant such as "maintenance_notice.elderly".
type named struct {
	name        string
	locales     map[string]*localized
	localeNames []string // sorted keys of locales
}

// localized is one locale folder of a template.
type localized struct {
	name       string // template folder name
	locale     string
	dir        string // name/locale, for errors
	parts      map[outreach.Channel]*part
	sample     *Sample
	sampleFrom string // Origin of the sample, which may be that of a folder this one overrides
}

// part is what renders one channel of a locale folder.
type part struct {
	tmpl    parsed   // as parsed; never executed, cloned per time zone
	zones   sync.Map // zoneKey -> *bound
	version string
	origin  string // OriginBuiltin, an override folder, or "" (Load)
}

//go:embed builtin
var builtinFiles embed.FS

// BuiltinFS returns the built-in template files in the layout Load reads, a
// starting point for an operator's override folder.
func BuiltinFS() fs.FS {
	sub, err := fs.Sub(builtinFiles, "builtin")
	if err != nil {
		panic(err) // "builtin" is a valid path; fs.Sub cannot fail on it
	}
	return sub
}

// builtin loads the embedded set once: it cannot change while the process runs.
var builtin = sync.OnceValues(func() (*Set, error) {
	s, err := load(BuiltinFS(), OriginBuiltin)
	if err != nil {
		return nil, fmt.Errorf("load built-in templates: %w", err)
	}
	if err := s.checkKinds(); err != nil {
		return nil, fmt.Errorf("load built-in templates: %w", err)
	}
	return s, nil
})

// Builtin returns the embedded template set, parsed and checked once.
func Builtin() (*Set, error) { return builtin() }

// checkKinds verifies that every kind has a template for every channel.
func (s *Set) checkKinds() error {
	for _, k := range outreach.Kinds {
		t, ok := s.byName[string(k)]
		if !ok {
			return fmt.Errorf("no template for kind %q", k)
		}
		for _, ch := range outreach.AllChannels {
			if t.locales[DefaultLocale].parts[ch] == nil {
				return fmt.Errorf("template %q has no %s version", k, ch)
			}
		}
	}
	return nil
}

// Names returns the template names in sorted order, variants included
// ("maintenance_notice", "maintenance_notice.elderly", ...).
func (s *Set) Names() []string {
	return slices.Sorted(maps.Keys(s.byName))
}

// Locales returns the locales the named template is written in, sorted;
// nil when there is no such template.
func (s *Set) Locales(name string) []string {
	t, ok := s.byName[name]
	if !ok {
		return nil
	}
	return slices.Clone(t.localeNames)
}

// Channels returns the channels the named template has in locale, in the
// order of outreach.AllChannels.
func (s *Set) Channels(name, locale string) []outreach.Channel {
	t, ok := s.byName[name]
	if !ok {
		return nil
	}
	l, ok := t.locales[locale]
	if !ok {
		return nil
	}
	var chs []outreach.Channel
	for _, ch := range outreach.AllChannels {
		if l.parts[ch] != nil {
			chs = append(chs, ch)
		}
	}
	return chs
}

// baseName splits "maintenance_notice.elderly" into its template and
// variant names.
func baseName(name string) (base, variant string) {
	base, variant, _ = strings.Cut(name, ".")
	return base, variant
}

// Variants returns the variants written for the named template, sorted:
// for "maintenance_notice", ["elderly", "new_resident"] when the folders
// maintenance_notice.elderly and maintenance_notice.new_resident exist.
func (s *Set) Variants(name string) []string {
	var out []string
	for _, n := range s.Names() {
		if base, variant := baseName(n); base == name && variant != "" {
			out = append(out, variant)
		}
	}
	return out
}

// Origin says where the named template's channel in locale comes from:
// OriginBuiltin, the override folder's path (OverlayDir), "override"
// (Overlay), or "" for a set from Load; "" too when there is no such
// template.
func (s *Set) Origin(name, locale string, ch outreach.Channel) string {
	t, ok := s.byName[name]
	if !ok {
		return ""
	}
	l, ok := t.locales[locale]
	if !ok || l.parts[ch] == nil {
		return ""
	}
	return l.parts[ch].origin
}
