package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
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
