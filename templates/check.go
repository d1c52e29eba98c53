package templates

import (
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// sampleTime is the render time for load-time sample checks, fixed so that
// the check does not depend on the clock.
var sampleTime = time.Date(2026, time.January, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// check validates the set as a whole.
func (s *Set) check() error {
	for _, name := range s.Names() {
		t := s.byName[name]
		if base, variant := baseName(name); variant != "" && s.byName[base] == nil {
			return fmt.Errorf("template %s: variant of %q, which does not exist", name, base)
		}
		def, ok := t.locales[DefaultLocale]
		if !ok {
			return fmt.Errorf("template %s: no %s folder (the default locale every template needs)", name, DefaultLocale)
		}
		for _, loc := range t.localeNames {
			l := t.locales[loc]
			for _, ch := range outreach.AllChannels {
				if l.parts[ch] != nil && def.parts[ch] == nil {
					return fmt.Errorf("template %s: %s has %s but %s does not (fallback would fail)", name, loc, ch, DefaultLocale)
				}
			}
			if err := l.checkSample(); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSample renders every channel of l with its sample, if it has one.
func (l *localized) checkSample() error {
	if l.sample == nil {
		return nil
	}
	for _, ch := range outreach.AllChannels {
		if l.parts[ch] == nil {
			continue
		}
		in := Input{Channel: ch, Resident: l.sample.Resident, Data: l.sample.Data, Now: sampleTime}
		if _, err := l.render(in); err != nil {
			return fmt.Errorf("render sample: %w", err)
		}
	}
	return nil
}
