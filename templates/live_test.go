package templates

import (
	"strings"
	"sync"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func TestLiveReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "maintenance_notice/en/sms.txt.tmpl", "[Acme] v1 {{.Data.title}}")
	l, err := NewLive(Source{Dir: dir, LocaleFallback: map[string]string{"fr": "en"}})
	if err != nil {
		t.Fatalf("NewLive: %v", err)
	}
	in := sampleInput(t, builtinSet(t), outreach.KindMaintenanceNotice, "en", outreach.ChannelSMS)
	in.Locale = "fr-FR"
	render := func() Rendered {
		t.Helper()
		r, err := l.Current().Render(in)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		return r
	}
	v1 := render()
	if v1.Text != "[Acme] v1 Planned water shut-off" {
		t.Fatalf("text %q, want the override (through the fr=en rule)", v1.Text)
	}

	// A broken edit is rejected with its file and line; v1 keeps serving.
	write(t, dir, "maintenance_notice/en/sms.txt.tmpl", "[Acme] v2\n{{.Data.title")
	if _, err := l.Reload(); err == nil || !strings.Contains(err.Error(), "sms.txt.tmpl:2:") {
		t.Errorf("Reload of a broken file: %v, want an error at sms.txt.tmpl:2", err)
	}
	if r := render(); r != v1 {
		t.Errorf("after a failed reload: %+v, want the old set's %+v", r, v1)
	}

	// A good edit is served, with a new version.
	write(t, dir, "maintenance_notice/en/sms.txt.tmpl", "[Acme] v3 {{.Data.title}}")
	if _, err := l.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	v3 := render()
	if v3.Text != "[Acme] v3 Planned water shut-off" || v3.Version == v1.Version {
		t.Errorf("after reload: %+v (before: %+v), want the new text and version", v3, v1)
	}
}

// TestLiveRendersWhileReloading renders from many goroutines while the set
// is reloaded; run with -race. Every render sees one whole set.
func TestLiveRendersWhileReloading(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "maintenance_notice/en/sms.txt.tmpl", "A {{.Data.title}}")
	write(t, dir, "maintenance_notice/en/subject.txt.tmpl", "A")
	write(t, dir, "maintenance_notice/en/body.txt.tmpl", "A")
	l, err := NewLive(Source{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	in := sampleInput(t, builtinSet(t), outreach.KindMaintenanceNotice, "en", outreach.ChannelSMS)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for range 4 {
		wg.Go(func() {
			for range 200 {
				r, err := l.Current().Render(in)
				if err != nil || (!strings.HasPrefix(r.Text, "A ") && !strings.HasPrefix(r.Text, "B ")) {
					errs <- r.Text
					return
				}
			}
		})
	}
	for i := range 10 {
		v := string("AB"[i%2])
		write(t, dir, "maintenance_notice/en/sms.txt.tmpl", v+" {{.Data.title}}")
		if _, err := l.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for text := range errs {
		t.Errorf("render during reload: %q", text)
	}
}

func TestSourceLoadErrors(t *testing.T) {
	t.Parallel()
	if _, err := (Source{Dir: t.TempDir() + "/nope"}).Load(); err == nil {
		t.Error("Load of a missing folder succeeded")
	}
	if _, err := (Source{LocaleFallback: map[string]string{"zh-HK": "ko"}}).Load(); err == nil || !strings.Contains(err.Error(), "ko") {
		t.Errorf("Load with a rule to nowhere: %v", err)
	}
}
