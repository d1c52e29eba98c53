package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/outreach-dev/outreach/outreach/console"
	"github.com/outreach-dev/outreach/templates"
)

// TestTemplatesPage: every template x variant x locale x channel of the
// live set is listed, an operator's override marked as such; a template
// chosen renders a preview on a sample resident of the variant and
// language chosen, or on a real resident with their own; a resident of
// an estate the user does not see is refused next to the field.
func TestTemplatesPage(t *testing.T) {
	t.Parallel()
	builtin, err := templates.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := builtin.Overlay(fstest.MapFS{"welcome/en/sms.txt.tmpl": {Data: []byte("Operators' welcome, {{or (opt .Resident \"Name\") \"neighbour\"}}. Call {{.Data.contact}}.")}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, func(cfg *console.Config) { cfg.Templates = func() *templates.Set { return set } })
	c := f.client(t)
	c.mustSignIn("manager-north")

	status, _, body := c.do("GET", "/console/templates", nil)
	must(t, status == http.StatusOK, "GET /console/templates = %d", status)
	if n, want := strings.Count(body, `<span class="channel">`), len(set.List()); n != want || n < 90 {
		t.Errorf("the page lists %d renderings, the set has %d", n, want)
	}
	must(t, strings.Count(body, `class="template override"`) == 1 && strings.Contains(body, `id="overrides">1 from the operators&#39; folder`), "the override is not marked (once)")
	must(t, regexp.MustCompile(`<td data-label="Template">welcome</td>\s*<td data-label="Variant">default</td>\s*<td data-label="Language">en</td>`).MatchString(body), "no row for welcome/default/en")

	// A sample elderly resident in Chinese.
	status, _, body = c.do("GET", "/console/templates?template=maintenance_notice&variant=elderly&locale=zh-CN&channel=sms", nil)
	must(t, status == http.StatusOK && strings.Contains(body, `data-variant="elderly"`) && strings.Contains(body, `id="r-sms"`) &&
		!strings.Contains(body, `id="r-email"`) && strings.Contains(body, "王秀英") && strings.Contains(body, `class="segments"`), "the elderly sample preview = %d: %s", status, body)
	must(t, !strings.Contains(body, "render-error"), "the sample preview failed: %s", body)
	// The override renders, for a real resident with their own variant.
	status, _, body = c.do("GET", "/console/templates?template=welcome&resident=n1&locale=en", nil)
	must(t, status == http.StatusOK && strings.Contains(body, `href="/console/residents/n1"`) && strings.Contains(body, `data-variant="elderly"`), "the preview for n1 = %d", status)
	status, _, body = c.do("GET", "/console/templates?template=welcome&resident=n2", nil)
	must(t, status == http.StatusOK && strings.Contains(body, `data-variant="default"`), "the preview for n2 = %d", status)
	n2 := body
	must(t, strings.Contains(n2, "&lt;img src=x onerror=alert(1)&gt;") && !strings.Contains(n2, "<img src=x"), "the resident's name is not escaped in the preview")
	// The override, for a sample English resident.
	_, _, body = c.do("GET", "/console/templates?template=welcome&locale=en&channel=sms", nil)
	must(t, strings.Contains(body, "Operators&#39; welcome, Mary Chen."), "the override is not what renders: %s", body)

	// Bad choices: next to the field, no preview.
	status, _, body = c.do("GET", "/console/templates?template=welcome&resident=s1", nil)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-resident"`) && !strings.Contains(body, "Sun South"), "south's resident for the manager of north = %d", status)
	status, _, body = c.do("GET", "/console/templates?template=nope", nil, "Accept-Language", "zh-CN")
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-template"`) && !strings.Contains(body, `id="preview"`), "an unknown template = %d", status)
	status, _, _ = c.do("GET", "/console/templates?template=welcome&variant=nope", nil)
	must(t, status == http.StatusBadRequest, "an unknown variant = %d", status)
}
