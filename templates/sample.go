package templates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
)

// Sample is example input for a template locale, read from its sample.json:
// it is rendered at load time and serves previews and tests.
type Sample struct {
	Resident outreach.Resident `json:"resident"`
	Data     map[string]any    `json:"data"`
}

// Sample returns a copy of the sample of the named template in locale, and
// whether there is one.
func (s *Set) Sample(name, locale string) (Sample, bool) {
	t, ok := s.byName[name]
	if !ok {
		return Sample{}, false
	}
	l, ok := t.locales[locale]
	if !ok || l.sample == nil {
		return Sample{}, false
	}
	return l.sampleCopy(), true
}

// SampleFor returns a copy of the sample of the folder that would render
// in (after locale fallback and variant choice), and whether it has one:
// the data a preview can start from.
func (s *Set) SampleFor(in Input) (Sample, bool) {
	_, l, _, err := s.resolve(in)
	if err != nil || l.sample == nil {
		return Sample{}, false
	}
	return l.sampleCopy(), true
}

// sampleCopy is a deep enough copy of l's sample for a caller to change.
func (l *localized) sampleCopy() Sample {
	smp := *l.sample
	smp.Resident.Tags = slices.Clone(smp.Resident.Tags)
	smp.Resident.Channels = slices.Clone(smp.Resident.Channels)
	smp.Resident.Attributes = maps.Clone(smp.Resident.Attributes)
	smp.Data = cleanData(smp.Data)
	return smp
}

// decodeSample reads the sample.json at path; its errors are *FileError
// values with the line of the problem.
func decodeSample(path string, b []byte) (Sample, error) {
	var smp Sample
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber() // as outreach.DecodeJob does, so samples see what jobs see
	if err := dec.Decode(&smp); err != nil {
		return Sample{}, jsonError(path, b, dec.InputOffset(), fmt.Errorf("read sample: %w", err))
	}
	return smp, nil
}
