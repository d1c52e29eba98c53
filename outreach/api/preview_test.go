package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestTemplatePreviewSpeaksForTheEstate: the preview renders for the
// resident's estate, as the daemon sends: its signature first, its
// service phone as the number to call, and the fallback when the
// resident's variant lacks a variable.
func TestTemplatePreviewSpeaksForTheEstate(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	ctx := t.Context()
	if err := env.store.CreateEstate(ctx, outreach.Estate{ID: "sunshine", Name: "阳光花园", ServicePhone: "0755-11110001", SMSSignature: "【阳光花园物业】"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.store.UpsertResidents(ctx, []outreach.Resident{
		{ID: "p-sun", Name: "陈桂兰", Estate: "sunshine", Phone: "+8613800138301", Locale: "zh-CN", Tags: []string{"elderly"}},
		{ID: "p-default", Name: "李明", Phone: "+8613800138302", Locale: "zh-CN", Tags: []string{"elderly"}},
	}); err != nil {
		t.Fatal(err)
	}
	const data = `"data":{"title":"计划停水","area":"3号楼","start":"2026-12-02T09:00:00+08:00","end":"2026-12-02T12:00:00+08:00"}`
	for _, tt := range []struct{ resident, variant, prefix, text, fallback string }{
		{"p-sun", "elderly", "【阳光花园物业】", "0755-11110001", ""},
		{"p-default", "default", "【物业服务中心】", "敬请谅解", "variant elderly: missing contact"},
	} {
		r := env.do("POST", "/v1/templates/preview", env.tokens["manage"],
			`{"kind":"maintenance_notice","resident_id":"`+tt.resident+`","channel":"sms",`+data+`}`)
		if r.status != http.StatusOK {
			t.Fatalf("%s: preview = %d %s", tt.resident, r.status, r.body)
		}
		var p struct {
			Renderings []struct{ Variant, Text, Fallback, Error string }
		}
		if err := json.Unmarshal(r.body, &p); err != nil || len(p.Renderings) != 1 {
			t.Fatalf("%s: %s (%v)", tt.resident, r.body, err)
		}
		m := p.Renderings[0]
		if m.Error != "" || m.Variant != tt.variant || m.Fallback != tt.fallback || !strings.HasPrefix(m.Text, tt.prefix) || !strings.Contains(m.Text, tt.text) {
			t.Errorf("%s: %+v, want variant %s, fallback %q, starting %s with %s", tt.resident, m, tt.variant, tt.fallback, tt.prefix, tt.text)
		}
	}
}
