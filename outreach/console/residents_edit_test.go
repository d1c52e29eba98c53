package console_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

var versionField = regexp.MustCompile(`name="version" value="([^"]+)"`)

// editForm is the edit form of resident id as the page shows it, with
// its CSRF token and version.
func editForm(t *testing.T, c *client, id string) url.Values {
	t.Helper()
	status, _, body := c.do("GET", "/console/residents/"+id+"/edit", nil)
	if status != http.StatusOK {
		t.Fatalf("GET the edit form of %s = %d", id, status)
	}
	v := url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "version": {versionField.FindStringSubmatch(body)[1]}}
	for _, name := range []string{"name", "phone", "email", "estate", "building", "unit", "locale", "tags", "channels", "time_zone"} {
		m := regexp.MustCompile(`name="` + name + `" id="[^"]+" value="([^"]*)"`).FindStringSubmatch(body)
		if m != nil {
			v.Set(name, htmlUnescape(m[1]))
		}
	}
	v.Set("estate", regexp.MustCompile(`<option value="([^"]+)" selected`).FindStringSubmatch(body)[1])
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&#43;", "+").Replace(s)
}

// TestEditResident: the form saves what is right and only that; a bad
// field is refused next to it, in the user's language, and nothing is
// saved; a resident changed since the form was shown is not overwritten;
// every save is in the audit log with the fields' names only.
func TestEditResident(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("staff-north")

	form := editForm(t, c, "n1")
	must(t, form.Get("name") == "Ning North" && form.Get("phone") == "+8613800000001" && form.Get("estate") == "north", "the form: %v", form)
	form.Set("phone", "138 0000 0002") // without the country code: the default region's
	form.Set("tags", "elderly， owner")
	form.Set("channels", "SMS, email")
	form.Set("email", "ning@example.com")
	status, loc, body := c.do("POST", "/console/residents/n1", form)
	if status != http.StatusSeeOther || loc != "/console/residents/n1?saved=1" {
		t.Fatalf("save = %d %q: %s", status, loc, body)
	}
	r, _ := f.store.Resident(t.Context(), "n1")
	must(t, r.Phone == "+8613800000002" && slices.Equal(r.Tags, []string{"elderly", "owner"}) &&
		slices.Equal(r.Channels, []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}) && r.Email == "ning@example.com", "after the save: %+v", r)
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "staff-north", Limit: 1})
	must(t, len(log) == 1 && log[0].Action == "resident_edit" && log[0].Target == "n1" &&
		strings.Contains(log[0].Detail, "phone") && !strings.Contains(log[0].Detail, "138"), "audit: %+v", log)
	_, _, body = c.do("GET", loc, nil)
	must(t, strings.Contains(body, `id="saved"`), "the profile does not say it was saved")

	// Bad fields: each refused next to it, nothing saved.
	form = editForm(t, c, "n1")
	form.Set("phone", "12")
	form.Set("email", "not an address")
	form.Set("name", " ")
	form.Set("time_zone", "Mars/Olympus")
	form.Set("estate", "south") // not the staff's
	status, _, body = c.do("POST", "/console/residents/n1", form, "Accept-Language", "zh-CN")
	must(t, status == http.StatusBadRequest, "bad fields = %d", status)
	for _, want := range []string{`id="err-name">必填。`, `id="err-phone">不是有效的电话号码`, `id="err-email">不是有效的邮箱地址`, `id="err-tz">时区`, `id="err-estate">`} {
		must(t, strings.Contains(body, want), "the refused form lacks %q", want)
	}
	must(t, strings.Contains(body, `value="not an address"`), "the refused form does not keep what was typed")
	if after, _ := f.store.Resident(t.Context(), "n1"); !after.UpdatedAt.Equal(r.UpdatedAt) || after.Phone != r.Phone {
		t.Errorf("a refused form changed the resident: %+v", after)
	}

	// A stale form: someone else saved meanwhile.
	form = editForm(t, c, "n1")
	if _, err := f.store.UpdateResident(t.Context(), "n1", func(r *outreach.Resident) error { r.Unit = "102"; return nil }); err != nil {
		t.Fatal(err)
	}
	form.Set("name", "Overwrite")
	status, _, body = c.do("POST", "/console/residents/n1", form)
	must(t, status == http.StatusConflict && strings.Contains(body, `id="stale"`) && strings.Contains(body, `value="102"`), "a stale form = %d", status)
	if after, _ := f.store.Resident(t.Context(), "n1"); after.Name != "Ning North" || after.Unit != "102" {
		t.Errorf("a stale form overwrote the resident: %+v", after)
	}
	// South's resident is not the staff's of north: 404, as for nobody.
	status, _, _ = c.do("GET", "/console/residents/s1/edit", nil)
	must(t, status == http.StatusNotFound, "GET south's edit form = %d", status)
}

// TestOptOuts: the boxes ticked and unticked are applied to the resident
// as it is now (an opt-out it sent meanwhile stays), in the audit log.
func TestOptOuts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("manager-north")
	csrf := c.csrf("/console/residents/n1")
	status, _, _ := c.do("POST", "/console/residents/n1/optouts", url.Values{"csrf": {csrf}, "out": {"sms", "holiday_greeting"}})
	must(t, status == http.StatusSeeOther, "opt out = %d", status)
	r, _ := f.store.Resident(t.Context(), "n1")
	must(t, slices.Equal(r.OptOutChannels, []outreach.Channel{outreach.ChannelSMS}) && slices.Equal(r.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}), "after opting out: %+v", r)
	_, _, body := c.do("GET", "/console/residents/n1", nil)
	must(t, strings.Contains(body, `name="was" value="sms"`) && strings.Contains(body, `id="out-sms" checked`), "the form does not show the opt-outs")

	// Meanwhile the resident opts out of email by itself; the form, shown
	// before, withdraws sms: email stays.
	if err := f.store.SetOptOut(t.Context(), "n1", outreach.ChannelEmail, "", true); err != nil {
		t.Fatal(err)
	}
	status, _, _ = c.do("POST", "/console/residents/n1/optouts", url.Values{"csrf": {csrf}, "was": {"sms", "holiday_greeting"}, "out": {"holiday_greeting"}})
	must(t, status == http.StatusSeeOther, "withdraw = %d", status)
	r, _ = f.store.Resident(t.Context(), "n1")
	must(t, slices.Equal(r.OptOutChannels, []outreach.Channel{outreach.ChannelEmail}) && slices.Equal(r.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}), "after withdrawing sms: %+v", r)
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "manager-north", Limit: 2})
	must(t, len(log) == 2 && log[0].Detail == "-sms" && log[1].Detail == "+holiday_greeting +sms", "audit: %+v", log)

	// An unknown name: refused next to the boxes, nothing changed.
	status, _, body = c.do("POST", "/console/residents/n1/optouts", url.Values{"csrf": {csrf}, "out": {"pigeon", "sms"}})
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-optouts"`), "unknown opt-out = %d", status)
	if after, _ := f.store.Resident(t.Context(), "n1"); !slices.Equal(after.OptOutChannels, r.OptOutChannels) {
		t.Errorf("a refused opt-out form changed the resident: %+v", after)
	}
	// An auditor changes nothing.
	a := f.client(t)
	a.mustSignIn("auditor")
	status, _, _ = a.do("POST", "/console/residents/n1/optouts", url.Values{"csrf": {a.csrf("/console/residents/n1")}, "out": {"sms"}})
	must(t, status == http.StatusForbidden, "an auditor's opt-out = %d", status)
}

// upload posts a file to the import form and returns the status and the
// import page it redirects to.
func (c *client) upload(name string, content []byte, fields ...string) (int, string, string) {
	c.t.Helper()
	csrf := c.csrf("/console/import")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", csrf)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.base+"/console/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// finished waits for the import at path to be read: what its page says
// then.
func (c *client) finished(f *fixture, path string) string {
	c.t.Helper()
	f.console.Wait()
	status, _, body := c.do("GET", path, nil)
	if status != http.StatusOK || strings.Contains(body, `hx-trigger="load delay`) {
		c.t.Fatalf("GET %s = %d, still running: %s", path, status, body)
	}
	return body
}

const importCSV = "id,name,phone,estate,building\n" +
	"n7,Nan Seven,13800000007,north,3\n" +
	"n8,Nan Eight,12,north,3\n" + // line 3: a bad phone
	"n9,Nan Nine,13800000009,,4\n"

// TestImport: a file with a bad row is read, its bad row listed by line,
// and nothing written until the user imports the good rows; a clean file
// is written at once; another user does not see the import; a manager of
// north cannot import into south, nor take over south's resident by id.
func TestImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("manager-north")

	status, loc, body := c.upload("residents.csv", []byte(importCSV))
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/import/") {
		t.Fatalf("upload = %d %q: %s", status, loc, body)
	}
	body = c.finished(f, loc)
	must(t, strings.Contains(body, `data-phase="ready"`) && strings.Contains(body, `<tr class="bad-row" data-line="3">`) &&
		strings.Contains(body, "not a phone number") && strings.Contains(body, "3 rows read: 2 good, 1 bad."), "the report: %s", body)
	if _, err := f.store.Resident(t.Context(), "n7"); err == nil {
		t.Error("a file with a bad row was written before the user confirmed")
	}
	// Another user does not see it.
	other := f.client(t)
	other.mustSignIn("admin")
	if status, _, _ := other.do("GET", loc, nil); status != http.StatusNotFound {
		t.Errorf("another user's import = %d, want 404", status)
	}
	// Import the good rows; the row without an estate is the only
	// estate's of the manager, north.
	csrf := csrfField.FindStringSubmatch(body)[1]
	status, _, _ = c.do("POST", loc+"/commit", url.Values{"csrf": {csrf}})
	must(t, status == http.StatusSeeOther, "commit = %d", status)
	body = c.finished(f, loc)
	must(t, strings.Contains(body, `id="written">2 residents added, 0 updated.`), "after the commit: %s", body)
	n9, err := f.store.Resident(t.Context(), "n9")
	must(t, err == nil && n9.Estate == "north" && n9.Phone == "+8613800000009", "n9: %+v %v", n9, err)
	if _, err := f.store.Resident(t.Context(), "n8"); err == nil {
		t.Error("the bad row was written")
	}
	// A second commit writes nothing.
	status, _, body = c.do("POST", loc+"/commit", url.Values{"csrf": {csrf}})
	must(t, status == http.StatusConflict && strings.Contains(body, `id="stale"`), "a second commit = %d", status)
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "manager-north", Limit: 1})
	must(t, len(log) == 1 && log[0].Action == "residents_import" && log[0].Target == "residents.csv" && strings.HasPrefix(log[0].Detail, "2 added, 0 updated; 1 bad rows"), "audit: %+v", log)

	// South is not the manager's: a row naming it is bad; a row with the
	// id of south's resident is left out (it would move Sun South).
	_, loc, _ = c.upload("more.csv", []byte("id,name,phone,estate\nn10,Ten,13800000010,south\ns1,Taken Over,13800000011,north\nn11,Eleven,13800000012,north\n"))
	body = c.finished(f, loc)
	must(t, strings.Contains(body, `data-line="2"`) && strings.Contains(body, "not one of your estates") && strings.Contains(body, `id="refused">s1</p>`) &&
		strings.Contains(body, "Import the 1 good rows"), "the report of a file naming south: %s", body)
	status, _, _ = c.do("POST", loc+"/commit", url.Values{"csrf": {csrf}})
	must(t, status == http.StatusSeeOther, "commit = %d", status)
	f.console.Wait()
	if s1, _ := f.store.Resident(t.Context(), "s1"); s1.Name != "Sun South" || s1.Estate != "south" {
		t.Errorf("the manager of north took over south's resident: %+v", s1)
	}

	// A clean file is written at once (admin, every estate; XLSX is read
	// by the same parser as the CLI's).
	_, loc, _ = other.upload("clean.csv", []byte("id,name,email,estate\ns5,Sue Five,s5@example.com,south\n"))
	body = other.finished(f, loc)
	must(t, strings.Contains(body, `data-phase="written"`) && strings.Contains(body, "1 residents added"), "a clean file: %s", body)

	// The form: no file, a file that is no table, an estate not theirs.
	status, _, body = c.upload("", nil)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-file">Choose a file.`), "no file = %d", status)
	status, _, body = c.upload("old.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), "estate", "south")
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-file">`) && strings.Contains(body, `id="err-estate">`), "an .xls for south = %d: %s", status, body)
	// A file larger than the forms' bound (and the API's) but within the
	// import's is taken.
	status, loc, _ = other.upload("long.csv", []byte("id,name,email\n"+strings.Repeat("\n", 2<<20)+"z1,Zed,z1@example.com\n"))
	must(t, status == http.StatusSeeOther, "a 2 MiB file = %d", status)
	body = other.finished(f, loc)
	must(t, strings.Contains(body, "1 rows read: 1 good, 0 bad."), "a 2 MiB file: %s", body)
	// A file too large is refused before it is read.
	big := bytes.Repeat([]byte("x"), 34<<20)
	status, _, _ = c.upload("big.csv", big)
	must(t, status == http.StatusRequestEntityTooLarge, "a file too large = %d", status)
}
