package templates

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadErrorsHaveFileAndLine breaks one file of a valid set in each way
// an operator might, and expects the error to name that file and line.
func TestLoadErrorsHaveFileAndLine(t *testing.T) {
	t.Parallel()
	const sms = "t/zh-CN/sms.txt.tmpl"
	tests := []struct {
		name       string
		file, text string
		wantPath   string
		wantLine   int
		want       string
	}{
		{"unclosed action", sms, "line 1\nline 2\nline {{.Data.x", sms, 3, "unclosed action"},
		{"unknown helper", sms, "line 1\n{{money .Data.x}}", sms, 2, `function "money" not defined`},
		{"end without if", "t/zh-CN/body.txt.tmpl", "a\nb\nc\n{{end}}", "t/zh-CN/body.txt.tmpl", 4, "unexpected {{end}}"},
		{"html parse error", "t/zh-CN/body.html.tmpl", "<p>\n{{if}}\n</p>", "t/zh-CN/body.html.tmpl", 2, "missing value for if"},
		{"html escaping error", "t/zh-CN/body.html.tmpl", "<p>\n\n{{if .Data.x}}<a href=\"{{else}}<b>{{end}}x", "t/zh-CN/body.html.tmpl", 3, "branches end in different contexts"},
		{"sample misses a variable", sms, "hello\n{{.Data.x}} {{.Data.y}}", sms, 2, `render sample.json: missing variable "y"`},
		{"sample is not JSON", "t/zh-CN/sample.json", "{\n  \"data\": {\n    \"x\": 1,\n  }\n}", "t/zh-CN/sample.json", 4, "invalid character '}'"},
		{"sample has a wrong type", "t/zh-CN/sample.json", "{\n  \"data\": {\"x\": 1},\n  \"resident\": {\"name\": 7}\n}", "t/zh-CN/sample.json", 3, "cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{
				"t/zh-CN/subject.txt.tmpl": "s",
				"t/zh-CN/body.txt.tmpl":    "b",
				"t/zh-CN/sms.txt.tmpl":     "{{.Data.x}}",
				"t/zh-CN/sample.json":      `{"data": {"x": 1}}`,
			}
			files[tt.file] = tt.text
			_, err := Load(mapFS(files))
			fes := FileErrors(err)
			if len(fes) != 1 {
				t.Fatalf("Load error %v, want one *FileError", err)
			}
			fe := fes[0]
			if fe.Path != tt.wantPath || fe.Line != tt.wantLine || !strings.Contains(fe.Error(), tt.want) {
				t.Errorf("error at %s:%d %q, want %s:%d with %q", fe.Path, fe.Line, fe, tt.wantPath, tt.wantLine, tt.want)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d:", tt.wantPath, tt.wantLine)) {
				t.Errorf("error text %q does not start with %s:%d:", err, tt.wantPath, tt.wantLine)
			}
		})
	}
}

// TestLoadReportsEveryProblem: an operator fixing a folder sees all its
// problems at once, not one per attempt.
func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(mapFS(map[string]string{
		"a/zh-CN/sms.txt.tmpl":     "{{.Data.x",
		"b/zh-CN/sms.txt.tmpl":     "ok",
		"b/zh-CN/notes.txt":        "x",
		"c/zh-CN/subject.txt.tmpl": "s",
		"c/zh-CN/body.txt.tmpl":    "b",
		"c/zh-CN/body.html.tmpl":   "<p>{{end}}</p>",
		"d/en/sms.txt.tmpl":        "no zh-CN",
	}))
	var paths []string
	for _, fe := range FileErrors(err) {
		paths = append(paths, fe.Path)
	}
	want := []string{"a/zh-CN/sms.txt.tmpl", "b/zh-CN/notes.txt", "c/zh-CN/body.html.tmpl"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("errors at %v, want %v:\n%v", paths, want, err)
	}
	// d is checked once the folder parses: a second run after fixing the
	// others reports it.
	_, err = Load(mapFS(map[string]string{"b/zh-CN/sms.txt.tmpl": "ok", "d/en/sms.txt.tmpl": "x", "e.v/zh-CN/sms.txt.tmpl": "x"}))
	if fes := FileErrors(err); len(fes) != 2 || fes[0].Path != "d" || fes[1].Path != "e.v" {
		t.Errorf("check errors %v, want one for d and one for e.v", err)
	}
}

// TestOverlayDirErrorsCarryDiskPath: the operator's folder is named in
// errors as it is on disk, and an override without a sample.json is
// checked with the sample of the template it replaces.
func TestOverlayDirErrorsCarryDiskPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "maintenance_notice/en/sms.txt.tmpl", "[Acme]\n{{.Data.titel}} in {{.Data.area}}")
	_, err := builtinSet(t).OverlayDir(dir)
	fes := FileErrors(err)
	if len(fes) == 0 {
		t.Fatalf("OverlayDir accepted a template that uses a variable its sample lacks")
	}
	want := filepath.Join(dir, "maintenance_notice", "en", "sms.txt.tmpl") + ":2:"
	if !strings.HasPrefix(fes[0].Error(), want) || !strings.Contains(fes[0].Error(), `missing variable "titel"`) ||
		!strings.Contains(fes[0].Error(), "sample.json of built-in") {
		t.Errorf("error %q, want it to start with %s, name \"titel\" and say whose sample it used", fes[0], want)
	}
	var mv *MissingVariableError
	if !errors.As(err, &mv) || mv.Variable != "titel" {
		t.Errorf("error chain lacks the *MissingVariableError: %v", err)
	}

	// A good override loads, and its templates say where they came from.
	write(t, dir, "maintenance_notice/en/sms.txt.tmpl", "[Acme] {{.Data.title}} in {{.Data.area}}")
	s, err := builtinSet(t).OverlayDir(dir)
	if err != nil {
		t.Fatalf("OverlayDir: %v", err)
	}
	if got := s.Origin("maintenance_notice", "en", "sms"); got != dir {
		t.Errorf("origin of the override %q, want %q", got, dir)
	}
	if got := s.Origin("maintenance_notice", "en", "email"); got != OriginBuiltin {
		t.Errorf("origin of the email beside it %q, want %q", got, OriginBuiltin)
	}

	// An override's own sample that a built-in channel beside it cannot
	// render is reported against the built-in file, not a path in dir.
	write(t, dir, "maintenance_notice/en/sample.json", `{"data": {"title": "Lift fault", "area": "Building 9"}}`)
	_, err = builtinSet(t).OverlayDir(dir)
	fes = FileErrors(err)
	if len(fes) != 1 || fes[0].Path != "maintenance_notice/en/body.txt.tmpl" || !strings.Contains(fes[0].Error(), "(a built-in template)") ||
		!strings.Contains(fes[0].Error(), `missing variable "start"`) {
		t.Errorf("error %v, want one against the built-in email naming \"start\"", err)
	}

	if _, err := builtinSet(t).OverlayDir(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OverlayDir of a missing folder: %v, want os.ErrNotExist", err)
	}
}

func write(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
