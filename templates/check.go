package templates

import (
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// sampleTime is the render time for load-time sample checks, fixed so that
// the check does not depend on the clock.
var sampleTime = time.Date(2026, time.January, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// check validates the set as a whole and reports every problem.
func (s *Set) check() error {
	var errs []error
	for _, name := range s.Names() {
		t := s.byName[name]
		if base, variant := baseName(name); variant != "" && s.byName[base] == nil {
			errs = append(errs, &FileError{Path: name, Err: fmt.Errorf("variant of %q, which does not exist", base)})
			continue
		}
		def, ok := t.locales[DefaultLocale]
		if !ok {
			errs = append(errs, &FileError{Path: name, Err: fmt.Errorf("no %s folder (the default locale every template needs)", DefaultLocale)})
			continue
		}
		for _, loc := range t.localeNames {
			l := t.locales[loc]
			for _, ch := range outreach.AllChannels {
				if l.parts[ch] != nil && def.parts[ch] == nil {
					errs = append(errs, &FileError{Path: path.Join(name, DefaultLocale), Err: fmt.Errorf("%s has %s but %s does not (fallback would fail)", loc, ch, DefaultLocale)})
				}
			}
			errs = append(errs, l.checkSample())
		}
	}
	return errors.Join(errs...)
}

// checkSample renders every channel of l with its sample, if it has one.
func (l *localized) checkSample() error {
	if l.sample == nil {
		return nil
	}
	var errs []error
	for _, ch := range outreach.AllChannels {
		if l.parts[ch] == nil {
			continue
		}
		in := Input{Channel: ch, Resident: l.sample.Resident, Data: l.sample.Data, Now: sampleTime}
		if _, err := l.render(in, false); err != nil {
			what := "render " + fileSample
			if l.parts[ch].origin != l.sampleFrom {
				what = fmt.Sprintf("render the %s of %s (this folder has none; add one if the template needs other data)", fileSample, l.sampleFrom)
			}
			fe := templateError(path.Join(l.dir, fileSample), fmt.Errorf("%s: %w", what, err))
			fe.builtin = l.parts[ch].origin == OriginBuiltin && l.sampleFrom != OriginBuiltin
			errs = append(errs, fe)
		}
	}
	return errors.Join(errs...)
}
