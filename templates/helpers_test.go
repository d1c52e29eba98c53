package templates

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/outreach-dev/outreach/outreach"
)

// testNow is the render time of the tests.
var testNow = sampleTime

func builtinSet(t testing.TB) *Set {
	t.Helper()
	s, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	return s
}

// sample returns the built-in sample of name in locale.
func sample(t testing.TB, s *Set, name, locale string) Sample {
	t.Helper()
	smp, ok := s.Sample(name, locale)
	if !ok {
		t.Fatalf("no sample for %s/%s", name, locale)
	}
	return smp
}

// sampleInput is the input that renders the built-in sample of kind in
// locale on ch.
func sampleInput(t testing.TB, s *Set, kind outreach.Kind, locale string, ch outreach.Channel) Input {
	t.Helper()
	smp := sample(t, s, string(kind), locale)
	return Input{Kind: kind, Locale: locale, Channel: ch, Resident: smp.Resident, Data: smp.Data, Now: testNow}
}

// mapFS builds a template folder from path -> content pairs.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, s := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

// builtinCopy copies the built-in template files into a MapFS, to edit in
// a test.
func builtinCopy(t testing.TB) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(BuiltinFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(BuiltinFS(), p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatalf("copy built-in templates: %v", err)
	}
	return out
}
