package templates

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	texttemplate "text/template"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// segmentResidents are residents of each variant, one with a name that
// must be escaped in HTML, one without a name.
func segmentResidents() []outreach.Resident {
	return []outreach.Resident{
		{ID: "r-1", Name: "张伟", Locale: "zh-CN", Building: "3", Unit: "1202"},
		{ID: "r-2", Name: `<script>alert("x")</script>`, Tags: []string{"elderly"}, TimeZone: "America/New_York"},
		{ID: "r-3", Name: "Ann O'Neil & co", Tags: []string{"new_resident"}, Locale: "en"},
		{ID: "r-4", Tags: []string{"Elderly", "new_resident"}, Attributes: map[string]string{"floor": "12"}},
	}
}

// TestKeptRenderEqualsWhole renders every template, locale and channel of
// the built-in set for residents of each variant, twice each (the first
// rendering of a job's data keeps the constant segments' output, the
// following ones use it), and compares each with the whole templates'
// execution: the outputs, and the errors when a variant lacks a variable.
func TestKeptRenderEqualsWhole(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	estates := []outreach.Estate{
		{},
		{ID: "sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: "0755-11110001", SMSSignature: "【阳光花园物业】", TimeZone: "Asia/Shanghai"},
		{ID: "harbour", Name: "Harbour <View>", ServicePhone: "+44 20 7946 0000", OfficeHours: "9-5"},
	}
	n := 0
	for _, name := range s.Names() {
		base, _ := baseName(name)
		for _, loc := range s.Locales(name) {
			smp, ok := s.Sample(name, loc)
			if !ok {
				continue
			}
			for _, ch := range s.Channels(name, loc) {
				for _, e := range estates {
					for pass := range 2 {
						for _, r := range segmentResidents() {
							in := Input{Template: base, Locale: loc, Variant: VariantFor(r), Channel: ch, Resident: r, Estate: e,
								Data: maps.Clone(smp.Data), Now: testNow.Add(time.Duration(n) * time.Hour), DefaultTimeZone: time.UTC}
							if pass == 1 {
								delete(in.Data, "contact") // the elderly variants fall back, or fail
							}
							n++
							want, werr := s.render(in, false)
							got, gerr := s.render(in, true)
							if fmt.Sprint(werr) != fmt.Sprint(gerr) {
								t.Fatalf("%s/%s/%s %s: error %v, executed whole %v", name, loc, ch, r.ID, gerr, werr)
							}
							var wmv, gmv *MissingVariableError
							if errors.As(werr, &wmv) != errors.As(gerr, &gmv) || (wmv != nil && (wmv.Variable != gmv.Variable || wmv.Where != gmv.Where || wmv.Err.Error() != gmv.Err.Error())) {
								t.Fatalf("%s/%s/%s %s: missing variable %#v, executed whole %#v", name, loc, ch, r.ID, gmv, wmv)
							}
							if got != want {
								t.Fatalf("%s/%s/%s %s %s: kept segments rendered\n%#v\nexecuted whole\n%#v", name, loc, ch, r.ID, e.ID, got, want)
							}
						}
					}
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("compared %d renderings; the built-in set has more", n)
	}
}

// TestBuiltinTemplatesAreCut checks that the built-in templates are cut
// (a change in how html/template escapes, or a helper missing from
// pureFuncs, would quietly execute them whole): the maintenance notice's
// subject is constant, and its bodies have resident segments between
// constant ones.
func TestBuiltinTemplatesAreCut(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	for _, loc := range []string{"zh-CN", "en"} {
		l := s.byName[string(outreach.KindMaintenanceNotice)].locales[loc]
		b, err := l.parts[outreach.ChannelEmail].forZone(loc, nil)
		if err != nil {
			t.Fatal(err)
		}
		for what, seg := range map[string]*segmented{"subject": b.subjectSeg, "text": b.textSeg, "HTML": b.htmlSeg} {
			if seg == nil {
				t.Fatalf("%s: the %s is executed whole", loc, what)
			}
			if what == "subject" && (len(seg.segs) != 1 || !seg.segs[0].constant) {
				t.Errorf("%s: the subject is not one constant segment: %d segments", loc, len(seg.segs))
			}
			if what != "subject" && (seg.nconst < 2 || len(seg.segs) <= seg.nconst) {
				t.Errorf("%s: the %s has %d segments, %d constant", loc, what, len(seg.segs), seg.nconst)
			}
		}
	}
}

// TestKeptHTMLEscapesResidents renders an HTML body whose job data and
// resident name need escaping for one resident and then, from the kept
// output, for another: both are escaped in their context, the kept data
// too.
func TestKeptHTMLEscapesResidents(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	in := sampleInput(t, s, outreach.KindMaintenanceNotice, "en", outreach.ChannelEmail)
	in.Data["title"] = `<b onclick="evil()">cut</b>`
	for i, name := range []string{"Ann", `<script>alert("x")</script>`, `"><img src=x onerror=y>`} {
		in.Resident.Name = name
		r, err := s.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "<b ", "<img", `onclick="`} {
			if strings.Contains(r.HTML, bad) {
				t.Errorf("rendering %d: HTML contains unescaped %q:\n%s", i, bad, r.HTML)
			}
		}
		if !strings.Contains(r.HTML, "&lt;b onclick=&#34;evil()&#34;&gt;cut&lt;/b&gt;") {
			t.Errorf("rendering %d: HTML lacks the escaped title:\n%s", i, r.HTML)
		}
		if esc := strings.NewReplacer("<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(name); !strings.Contains(r.HTML, esc) {
			t.Errorf("rendering %d: HTML lacks the escaped name %q:\n%s", i, esc, r.HTML)
		}
		if !strings.Contains(r.Text, name) {
			t.Errorf("rendering %d: the text does not keep the name as it is", i)
		}
	}
}

// TestCutKeepsContext cuts a template whose resident value sits in an
// attribute, a URL and a script, between constant nodes: each is escaped
// for its context, as the whole template escapes it.
func TestCutKeepsContext(t *testing.T) {
	t.Parallel()
	fsys := mapFS(map[string]string{
		"t/zh-CN/subject.txt.tmpl": `{{.Data.title}}`,
		"t/zh-CN/body.txt.tmpl":    `{{.Data.title}} {{.Resident.Name}}`,
		"t/zh-CN/body.html.tmpl": `<p title="{{.Data.title}} {{.Resident.Name}}">{{.Data.title}}</p>` +
			`<a href="https://example.com/?q={{.Data.title}}&n={{.Resident.Name}}">x</a>` +
			`<script>var d = {{.Data.title}}; var n = {{.Resident.Name}};</script>{{range $i, $t := .Resident.Tags}}{{$i}}{{$t}}{{end}}`,
	})
	s, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`a"b`, `</script><script>x()</script>`, "c&d"} {
		in := Input{Template: "t", Channel: outreach.ChannelEmail, Resident: outreach.Resident{Name: name, Tags: []string{"<t>"}},
			Data: map[string]any{"title": `"q" & <r>`}, Now: testNow}
		want, err := s.render(in, false)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			got, err := s.render(in, true)
			if err != nil || got != want {
				t.Fatalf("name %q: kept segments rendered\n%s\nexecuted whole\n%s (%v)", name, got.HTML, want.HTML, err)
			}
		}
		if strings.Contains(want.HTML, "<script>x()") || strings.Contains(want.HTML, `a"b`) {
			t.Fatalf("not escaped: %s", want.HTML)
		}
	}
	b, _ := s.byName["t"].locales["zh-CN"].parts[outreach.ChannelEmail].forZone("zh-CN", nil)
	if b.htmlSeg == nil || b.htmlSeg.nconst == 0 {
		t.Fatal("the HTML was not cut")
	}
}

// TestCutKeysTellDataApart renders one template for jobs whose data
// differ only slightly, and for other estates: none is served another's
// output.
func TestCutKeysTellDataApart(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	in := sampleInput(t, s, outreach.KindMaintenanceNotice, "en", outreach.ChannelEmail)
	seen := map[string]string{}
	for i, d := range []map[string]any{
		{"title": "A", "area": "B"}, {"title": "AB", "area": ""}, {"title": "A", "area": "B", "reason": "r"},
		{"title": json.Number("1"), "area": "B"}, {"title": "1", "area": "B"}, {"title": true, "area": "B"}, {"title": "true", "area": "B"},
		{"title": []any{"A"}, "area": "B"}, {"title": map[string]any{"A": "B"}, "area": "B"}, {"title": "A", "area": "B", "x": map[string]string{"k": "v"}},
	} {
		for _, e := range []outreach.Estate{{}, {Name: "North"}, {Name: "South"}} {
			in := in
			in.Data = maps.Clone(in.Data)
			maps.Copy(in.Data, d)
			in.Estate = e
			want, werr := s.render(in, false)
			got, gerr := s.render(in, true)
			if got != want || fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("data %d, estate %q: kept\n%s\nwhole\n%s", i, e.Name, got.Text, want.Text)
			}
			key := cacheKey(newData(in, "en"))
			if prev, ok := seen[key]; ok {
				t.Fatalf("data %d, estate %q has the key of %s", i, e.Name, prev)
			}
			seen[key] = fmt.Sprint(i, e.Name)
		}
	}
	if k := cacheKey(map[string]any{"Data": map[string]any{"t": time.Now()}, "Estate": map[string]any{}}); k != "" {
		t.Errorf("a time.Time is keyed as %q", k)
	}
}

// TestSegmentsOfTopLevelVariables: a template that declares a variable at
// the top level is executed whole (its segments would not see it); one that
// declares it inside a block is cut, and a variable from resident data is
// not constant.
func TestSegmentsOfTopLevelVariables(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`{{$x := .Data.a}}{{$x}}`:                                           "whole",
		`a{{$x = .Data.a}}`:                                                 "whole",
		`{{.Data.a}}{{.Resident.Name}}`:                                     "CD",
		`{{with .Data.a}}{{$y := .}}{{$y}}{{end}}{{.Now}}`:                  "CD",
		`{{with .Resident}}{{$y := .Name}}{{$y}}{{end}}`:                    "whole",
		`{{range .Data.l}}{{.}}{{$.Resident.Name}}{{end}}x`:                 "DC",
		`{{with .Data.a}}{{$y := $.Resident.Name}}{{$y}}{{end}}{{"c"}}`:     "DC",
		`{{if .Data.a}}{{call .Data.f}}{{end}}{{printf "%s" .Estate.Name}}`: "DC",
		`{{template "x" .Data}}{{define "x"}}{{.}}{{end}}`:                  "whole",
		`{{.}}{{$}}{{$.Data}}`:                                              "DDC",
	} {
		tr, err := texttemplate.New("t").Funcs(baseFuncs).Parse(src)
		if err != nil {
			t.Fatal(src, err)
		}
		kinds := segmentsOf(tr.Root)
		got := "whole"
		if kinds != nil {
			got = ""
			for _, c := range kinds {
				got += map[bool]string{true: "C", false: "D"}[c]
			}
		}
		if got != want {
			t.Errorf("%s: %s, want %s", src, got, want)
		}
	}
}

// TestKeptRenderConcurrent renders one job for many residents from
// several goroutines at once (run with -race): each gets its own message.
func TestKeptRenderConcurrent(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	in := sampleInput(t, s, outreach.KindMaintenanceNotice, "zh-CN", outreach.ChannelEmail)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				in := in
				in.Resident.Name = fmt.Sprintf("住户%d-%d", g, i)
				want, werr := s.render(in, false)
				got, gerr := s.render(in, true)
				if werr != nil || gerr != nil || got != want {
					errs <- fmt.Errorf("%s: kept %q, whole %q (%v, %v)", in.Resident.Name, got.Text, want.Text, gerr, werr)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
