package templates

import (
	"fmt"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// TestRenderConcurrently shares one Set between goroutines; run with -race.
func TestRenderConcurrently(t *testing.T) {
	t.Parallel()
	s := builtinSet(t)
	inputs := map[outreach.Kind]Input{}
	want := map[outreach.Kind]Rendered{}
	for _, k := range outreach.Kinds {
		inputs[k] = sampleInput(t, s, k, "en", outreach.ChannelEmail)
		r, err := s.Render(inputs[k])
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		want[k] = r
	}
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for i := range 50 {
				k := outreach.Kinds[i%len(outreach.Kinds)]
				r, rerr := s.Render(inputs[k])
				if rerr != nil || r != want[k] {
					err = fmt.Errorf("%s: %+v, %v", k, r, rerr)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestRenderDefaultsNowToTheClock(t *testing.T) {
	t.Parallel()
	s, err := Load(mapFS(map[string]string{"t/zh-CN/sms.txt.tmpl": `{{date "2006" .Now}}`}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	before := time.Now().Year()
	r, err := s.Render(Input{Template: "t", Channel: outreach.ChannelSMS})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if after := time.Now().Year(); r.Text != fmt.Sprint(before) && r.Text != fmt.Sprint(after) {
		t.Errorf("year %q, want %d", r.Text, before)
	}
}

func ExampleSet_Render() {
	s, err := Builtin()
	if err != nil {
		panic(err)
	}
	r, err := s.Render(Input{
		Kind:     outreach.KindMaintenanceNotice,
		Locale:   "zh",
		Channel:  outreach.ChannelSMS,
		Resident: outreach.Resident{Name: "张伟"},
		Data: map[string]any{
			"title": "计划停水",
			"area":  "3号楼",
			"start": "2026-03-01T09:00:00+08:00",
			"end":   "2026-03-01T12:00:00+08:00",
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Template, r.Locale, r.Variant)
	fmt.Println(r.Text)
	// Output:
	// maintenance_notice zh-CN default
	// 【物业服务中心】张伟您好：3号楼计划停水，3月1日 09:00至12:00，敬请谅解。
}
