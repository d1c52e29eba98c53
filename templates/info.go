package templates

import "github.com/outreach-dev/outreach/outreach"

// Info describes one channel of one locale folder of a set, for listings.
type Info struct {
	Template  string           `json:"template"` // base name, e.g. "maintenance_notice"
	Variant   string           `json:"variant"`  // DefaultVariant, or e.g. "elderly"
	Locale    string           `json:"locale"`
	Channel   outreach.Channel `json:"channel"`
	Version   string           `json:"version"`
	Origin    string           `json:"origin"`     // OriginBuiltin, or the override folder
	HasSample bool             `json:"has_sample"` // rendered with a sample when the set loaded
}

// List describes every channel of every locale folder of s, sorted by
// template, variant, locale and channel.
func (s *Set) List() []Info {
	var out []Info
	for _, name := range s.Names() {
		t := s.byName[name]
		base, variant := baseName(name)
		if variant == "" {
			variant = DefaultVariant
		}
		for _, loc := range t.localeNames {
			l := t.locales[loc]
			for _, ch := range outreach.AllChannels {
				p := l.parts[ch]
				if p == nil {
					continue
				}
				out = append(out, Info{Template: base, Variant: variant, Locale: loc, Channel: ch,
					Version: p.version, Origin: p.origin, HasSample: l.sample != nil})
			}
		}
	}
	return out
}
