package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"

	"github.com/outreach-dev/outreach/outreach"
)

// version is the first 12 hex digits of a SHA-256 over the names and
// contents of the given files of dir that exist.
func version(dir string, src map[string][]byte, files ...string) string {
	h := sha256.New()
	for _, f := range files {
		b, ok := src[f]
		if !ok {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path.Join(dir, f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Digest is 12 hex digits over the versions of every template of s, so
// that a log line or `outreach templates list` shows at a glance whether
// two sets (before and after a reload, say) differ.
func (s *Set) Digest() string {
	h := sha256.New()
	for _, name := range s.Names() {
		t := s.byName[name]
		for _, loc := range t.localeNames {
			for _, ch := range outreach.AllChannels {
				if p := t.locales[loc].parts[ch]; p != nil {
					fmt.Fprintf(h, "%s/%s/%s=%s\n", name, loc, ch, p.version)
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
