package templates

import (
	"encoding/hex"
	"testing"
	"testing/fstest"

	"github.com/outreach-dev/outreach/outreach"
)

// versions renders every kind x locale x channel of s with the built-in
// samples and returns the versions by "kind/locale/channel".
func versions(t *testing.T, s *Set) map[string]string {
	t.Helper()
	b := builtinSet(t)
	out := map[string]string{}
	for _, kind := range outreach.Kinds {
		for _, loc := range []string{"zh-CN", "en"} {
			for _, ch := range outreach.AllChannels {
				r, err := s.Render(sampleInput(t, b, kind, loc, ch))
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				if _, err := hex.DecodeString(r.Version); err != nil || len(r.Version) != 12 {
					t.Errorf("version %q is not 12 hex digits", r.Version)
				}
				out[string(kind)+"/"+loc+"/"+string(ch)] = r.Version
			}
		}
	}
	return out
}

func TestVersionIsStable(t *testing.T) {
	t.Parallel()
	first := versions(t, builtinSet(t))
	again, err := Load(BuiltinFS())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	second := versions(t, again)
	seen := map[string]string{}
	for key, v := range first {
		if second[key] != v {
			t.Errorf("%s: version %s, then %s after loading again", key, v, second[key])
		}
		if other, dup := seen[v]; dup {
			t.Errorf("%s and %s share version %s", key, other, v)
		}
		seen[v] = key
	}
}

func TestVersionChangesWithText(t *testing.T) {
	t.Parallel()
	before := versions(t, builtinSet(t))
	tests := []struct {
		file    string
		changed string // the one rendering whose version must change
	}{
		{"maintenance_notice/en/body.html.tmpl", "maintenance_notice/en/email"},
		{"maintenance_notice/en/subject.txt.tmpl", "maintenance_notice/en/email"},
		{"follow_up/zh-CN/body.txt.tmpl", "follow_up/zh-CN/email"},
		{"holiday_greeting/zh-CN/sms.txt.tmpl", "holiday_greeting/zh-CN/sms"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			fsys := builtinCopy(t)
			f := fsys[tt.file]
			fsys[tt.file] = &fstest.MapFile{Data: append(append([]byte{}, f.Data...), " "...)}
			s, err := Load(fsys)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			after := versions(t, s)
			for key, v := range before {
				if changed := key == tt.changed; changed == (after[key] == v) {
					t.Errorf("%s: version %s -> %s (want changed: %v)", key, v, after[key], changed)
				}
			}
		})
	}
}
