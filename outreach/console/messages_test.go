package console

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMessages: both languages have the same keys, and every key the
// templates and the Go code name is there.
func TestMessages(t *testing.T) {
	for key := range messages["en"] {
		if _, ok := messages["zh-CN"][key]; !ok {
			t.Errorf("zh-CN lacks %q", key)
		}
	}
	for key := range messages["zh-CN"] {
		if _, ok := messages["en"][key]; !ok {
			t.Errorf("en lacks %q", key)
		}
	}
	used := regexp.MustCompile(`t \$?[.\w]*(?:Lang|l) "([\w.]+)"|"((?:error|login|users|archive|resident|delivery|audit|campaign|campaigns|new|dead|preview|reason|import|templates|case|cases)\.[\w.]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	var sources []string
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		sources = append(sources, string(b))
	}
	for _, f := range []string{"auth.go", "archive.go", "note.go", "residents.go", "admin.go", "pages.go", "render.go", "campaigns.go", "newcampaign.go", "deadletters.go", "residents_edit.go", "import.go", "templatespage.go", "useredit.go", "cases.go"} {
		b, err := fs.ReadFile(osDir{}, f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(b))
	}
	n := 0
	for _, src := range sources {
		for _, m := range used.FindAllStringSubmatch(src, -1) {
			key := m[1] + m[2]
			n++
			if _, ok := messages["en"][key]; !ok && !strings.HasSuffix(key, ".") {
				t.Errorf("%q is used but has no text", key)
			}
		}
	}
	if n < 50 {
		t.Errorf("found %d uses of messages; the pattern is broken", n)
	}
	for _, r := range []string{"admin", "manager", "staff", "auditor"} {
		if _, ok := messages["en"]["role."+r]; !ok {
			t.Errorf("no text for role %s", r)
		}
	}
}

// osDir reads the package's own files.
type osDir struct{}

func (osDir) Open(name string) (fs.File, error) { return os.Open(name) }
