package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/resident"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// apiServer is the API on a real SQLite store in a temporary file.
type apiServer struct {
	t     *testing.T
	url   string
	store *sqlite.Store
}

func newAPIServer(t *testing.T, seed ...outreach.Resident) *apiServer {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "outreach.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if len(seed) > 0 {
		if _, err := st.UpsertResidents(t.Context(), seed); err != nil {
			t.Fatalf("seed residents: %v", err)
		}
	}
	srv := httptest.NewServer(NewHandler(Config{Gatherer: prometheus.NewRegistry(), Store: st, PhoneRegion: "CN"}))
	t.Cleanup(srv.Close)
	return &apiServer{t: t, url: srv.URL, store: st}
}

// response is an answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error    string `json:"error"`
	Field    string `json:"field"`
	Problems []struct {
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"problems"`
}

func (s *apiServer) do(method, path, contentType, body string) response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (s *apiServer) json(method, path, body string) response {
	s.t.Helper()
	return s.do(method, path, "application/json", body)
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func (s *apiServer) stored(id string) outreach.Resident {
	s.t.Helper()
	r, err := s.store.Resident(s.t.Context(), id)
	if err != nil {
		s.t.Fatalf("Resident(%q): %v", id, err)
	}
	return r
}

var ann = outreach.Resident{ID: "r1", Name: "Ann Lee", Email: "ann@example.com", Building: "1", Tags: []string{"elderly"}}

func TestGetResident(t *testing.T) {
	t.Parallel()
	slashed := outreach.Resident{ID: "ext/7", Name: "Bo", Phone: "+8613800138000"}
	s := newAPIServer(t, ann, slashed)
	tests := []struct {
		path   string
		status int
		name   string
	}{
		{"/v1/residents/r1", 200, "Ann Lee"},
		{"/v1/residents/ext%2F7", 200, "Bo"},
		{"/v1/residents/nobody", 404, ""},
		{"/v1/residents/R1", 404, ""},
		{"/v1/residents/r1%00", 404, ""},
		{"/v1/residents/%FF", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := s.do("GET", tt.path, "", "")
			if res.status != tt.status {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, res.status, res.body, tt.status)
			}
			if got := res.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := res.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store: the body is personal data", got)
			}
			if tt.status == 200 {
				if r := decode[outreach.Resident](t, res); r.Name != tt.name {
					t.Errorf("name = %q, want %q", r.Name, tt.name)
				}
			} else if e := decode[errorBody](t, res); !strings.Contains(e.Error, "not found") {
				t.Errorf("error = %q, want it to say not found", e.Error)
			}
		})
	}
}

func TestListResidents(t *testing.T) {
	t.Parallel()
	var seed []outreach.Resident
	for i := range 7 {
		r := outreach.Resident{ID: fmt.Sprintf("r%d", i), Name: "R", Email: "r@example.com", Building: fmt.Sprint(i % 2)}
		if i%3 == 0 {
			r.Tags = []string{"elderly", "vip"}
		}
		seed = append(seed, r)
	}
	s := newAPIServer(t, seed...)

	// Paging by 3 visits everyone once, in id order, and the last page has
	// no next cursor.
	var got []string
	path := "/v1/residents?limit=3"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		res := s.do("GET", path, "", "")
		if res.status != 200 {
			t.Fatalf("GET %s = %d %s", path, res.status, res.body)
		}
		p := decode[page](t, res)
		for _, r := range p.Residents {
			got = append(got, r.ID)
		}
		if p.Next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		path = "/v1/residents?limit=3&after=" + p.Next
	}
	if want := []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6"}; !slices.Equal(got, want) {
		t.Errorf("pages listed %q, want %q", got, want)
	}

	filters := []struct {
		query string
		want  []string
	}{
		{"", []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6"}},
		{"building=1", []string{"r1", "r3", "r5"}},
		{"tag=elderly", []string{"r0", "r3", "r6"}},
		{"tag=elderly&tag=vip&building=0", []string{"r0", "r6"}},
		{"limit=7", []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6"}},
		{"building=9", []string{}},
		{"after=r5", []string{"r6"}},
	}
	for _, tt := range filters {
		t.Run(tt.query, func(t *testing.T) {
			res := s.do("GET", "/v1/residents?"+tt.query, "", "")
			if res.status != 200 {
				t.Fatalf("status %d %s", res.status, res.body)
			}
			p := decode[page](t, res)
			ids := []string{}
			for _, r := range p.Residents {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.want) || p.Next != "" {
				t.Errorf("listed %q next %q, want %q and no next", ids, p.Next, tt.want)
			}
			if !strings.Contains(string(res.body), `"residents":[`) {
				t.Errorf("an empty page must be [], not null: %s", res.body)
			}
		})
	}

	bad := []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=-1", "limit"},
		{"limit=1001", "limit"},
		{"limit=ten", "limit"},
		{"buildng=1", "buildng"},
		{"building=1&building=2", "building"},
		{"after=r%00", "after"},
		{"building=%FF", "building"},
		{"tag=a&tag=%C3", "tag"},
	}
	for _, tt := range bad {
		t.Run(tt.query, func(t *testing.T) {
			res := s.do("GET", "/v1/residents?"+tt.query, "", "")
			if res.status != 400 {
				t.Fatalf("status %d %s, want 400", res.status, res.body)
			}
			if e := decode[errorBody](t, res); e.Field != tt.field {
				t.Errorf("error %+v names %q, want %q", e, e.Field, tt.field)
			}
		})
	}
}

func TestPutResident(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	body := `{"name":"王秀英","email":"wang@example.com","phone":"138 0013 8000","locale":"zh_cn",
		"building":"3","unit":"1201","tags":["elderly"],"channels":["sms","email"],"time_zone":"Asia/Shanghai",
		"opt_out_kinds":["holiday_greeting"],"attributes":{"floor":"12"}}`
	res := s.json("PUT", "/v1/residents/r-100", body)
	if res.status != http.StatusCreated {
		t.Fatalf("PUT new = %d %s, want 201", res.status, res.body)
	}
	got := decode[outreach.Resident](t, res)
	if got.ID != "r-100" || got.Phone != "+8613800138000" || got.Locale != "zh-CN" || got.TimeZone != "Asia/Shanghai" ||
		got.UpdatedAt.IsZero() || got.Attributes["floor"] != "12" {
		t.Errorf("PUT answered %+v, want the normalized resident", got)
	}
	if st := s.stored("r-100"); st.Phone != "+8613800138000" || !slices.Equal(st.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}) {
		t.Errorf("stored %+v", st)
	}

	// Replacing: every field but the opt-outs, which only grow.
	res = s.json("PUT", "/v1/residents/r-100", `{"id":"r-100","name":"Wang","phone":"+86 139 1234 5678","opt_out_channels":["email"]}`)
	if res.status != http.StatusOK {
		t.Fatalf("PUT existing = %d %s, want 200", res.status, res.body)
	}
	st := s.stored("r-100")
	if st.Name != "Wang" || st.Email != "" || st.Building != "" || st.Phone != "+8613912345678" ||
		!slices.Equal(st.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}) ||
		!slices.Equal(st.OptOutChannels, []outreach.Channel{outreach.ChannelEmail}) {
		t.Errorf("after the replacement stored %+v", st)
	}
	if d := decode[outreach.Resident](t, res); d.Name != "Wang" || len(d.OptOutKinds) != 1 {
		t.Errorf("PUT answered %+v, want the resident as stored", d)
	}
}

func TestPutResidentRejects(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, ann)
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		status      int
		field       string
	}{
		{"bad phone", "/v1/residents/r2", "", `{"name":"A","phone":"12345"}`, 400, "phone"},
		{"bad email", "/v1/residents/r2", "", `{"name":"A","email":"not an address"}`, 400, "email"},
		{"bad locale", "/v1/residents/r2", "", `{"name":"A","email":"a@example.com","locale":"Klingon"}`, 400, "locale"},
		{"unknown channel", "/v1/residents/r2", "", `{"name":"A","email":"a@example.com","channels":["fax"]}`, 400, "channels"},
		{"unknown time zone", "/v1/residents/r2", "", `{"name":"A","email":"a@example.com","time_zone":"Moon/Base"}`, 400, "time_zone"},
		{"unknown opt-out kind", "/v1/residents/r2", "", `{"name":"A","email":"a@example.com","opt_out_kinds":["spam"]}`, 400, "opt_out_kinds"},
		{"no contact", "/v1/residents/r2", "", `{"name":"A"}`, 400, "email/phone"},
		{"no name", "/v1/residents/r2", "", `{"email":"a@example.com"}`, 400, "name"},
		{"id differs from the path", "/v1/residents/r2", "", `{"id":"r3","name":"A","email":"a@example.com"}`, 400, "id"},
		{"id with a space", "/v1/residents/%20r2", "", `{"name":"A","email":"a@example.com"}`, 400, "id"},
		{"unknown field", "/v1/residents/r2", "", `{"name":"A","email":"a@example.com","emial":"x"}`, 400, "emial"},
		{"wrong type", "/v1/residents/r2", "", `{"name":"A","tags":"elderly"}`, 400, "tags"},
		{"wrong attribute type", "/v1/residents/r2", "", `{"name":"A","attributes":{"floor":12}}`, 400, "attributes"},
		{"not an object", "/v1/residents/r2", "", `["A"]`, 400, ""},
		{"bad JSON", "/v1/residents/r2", "", `{"name":`, 400, ""},
		{"empty body", "/v1/residents/r2", "", ``, 400, ""},
		{"trailing data", "/v1/residents/r2", "", `{"name":"A","email":"a@example.com"} {}`, 400, ""},
		{"form content type", "/v1/residents/r2", "application/x-www-form-urlencoded", `name=A`, 415, ""},
		{"no content type", "/v1/residents/r2", "none", `{"name":"A","email":"a@example.com"}`, 415, ""},
		{"too large", "/v1/residents/r2", "", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := tt.contentType
			switch ct {
			case "":
				ct = "application/json"
			case "none":
				ct = ""
			}
			res := s.do("PUT", tt.path, ct, tt.body)
			if res.status != tt.status {
				t.Fatalf("PUT = %d %s, want %d", res.status, res.body, tt.status)
			}
			e := decode[errorBody](t, res)
			if e.Field != tt.field || e.Error == "" {
				t.Errorf("error %+v names %q, want %q", e, e.Field, tt.field)
			}
			if tt.status == 400 && tt.field != "" && !strings.Contains(e.Error, tt.field) {
				t.Errorf("message %q does not name the field %q", e.Error, tt.field)
			}
		})
	}
	// Nothing of that was stored, and r1 is untouched.
	if _, err := s.store.Resident(t.Context(), "r2"); err == nil {
		t.Error("a rejected PUT stored r2")
	}
	if got := s.stored("r1"); got.Name != ann.Name {
		t.Errorf("r1 changed: %+v", got)
	}
}

// TestPutResidentKeepsContactsOutOfErrors: the error answer does not echo
// the contact that was refused (it would end up in client logs).
func TestPutResidentKeepsContactsOutOfErrors(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	res := s.json("PUT", "/v1/residents/r2", `{"name":"A","email":"someone@@hidden.example","phone":"+1 555 0100 999999"}`)
	if res.status != 400 {
		t.Fatalf("status %d", res.status)
	}
	if e := decode[errorBody](t, res); len(e.Problems) != 2 || e.Problems[0].Field != "email" || e.Problems[1].Field != "phone" {
		t.Errorf("problems = %+v, want email and phone", e.Problems)
	}
	for _, secret := range []string{"hidden.example", "0100"} {
		if strings.Contains(string(res.body), secret) {
			t.Errorf("the answer %s repeats %q", res.body, secret)
		}
	}
}

func TestPatchResident(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, outreach.Resident{
		ID: "r1", Name: "Ann Lee", Email: "ann@example.com", Building: "1", Tags: []string{"elderly"},
		OptOutChannels: []outreach.Channel{outreach.ChannelSMS}, Attributes: map[string]string{"floor": "3", "pet": "cat"},
	})
	res := s.json("PATCH", "/v1/residents/r1", `{"phone":"139 1234 5678","time_zone":"Europe/London",
		"tags":["elderly","new_resident"],"opt_out_channels":[],"attributes":{"pet":null,"parking":"B2-17"}}`)
	if res.status != 200 {
		t.Fatalf("PATCH = %d %s", res.status, res.body)
	}
	want := outreach.Resident{
		ID: "r1", Name: "Ann Lee", Estate: outreach.DefaultEstateID, Email: "ann@example.com", Phone: "+8613912345678", Building: "1",
		Tags: []string{"elderly", "new_resident"}, TimeZone: "Europe/London",
		Attributes: map[string]string{"floor": "3", "parking": "B2-17"},
	}
	for name, got := range map[string]outreach.Resident{"answer": decode[outreach.Resident](t, res), "stored": s.stored("r1")} {
		got.UpdatedAt = want.UpdatedAt
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Errorf("%s after PATCH:\n%#v\nwant\n%#v", name, got, want)
		}
	}
	res = s.do("PATCH", "/v1/residents/r1", "application/merge-patch+json", `{"name":"Ann"}`)
	if res.status != 200 || s.stored("r1").Name != "Ann" {
		t.Errorf("PATCH as merge-patch+json = %d %s", res.status, res.body)
	}
	if res = s.json("PATCH", "/v1/residents/r1", `{}`); res.status != 200 || decode[outreach.Resident](t, res).Name != "Ann" {
		t.Errorf("empty PATCH = %d %s, want 200 with the resident", res.status, res.body)
	}

	bad := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"unknown resident", "/v1/residents/nobody", `{"name":"X"}`, 404, ""},
		{"bad phone", "/v1/residents/r1", `{"phone":"abc"}`, 400, "phone"},
		{"clearing every contact", "/v1/residents/r1", `{"email":"","phone":" "}`, 400, "email/phone"},
		{"bad time zone", "/v1/residents/r1", `{"time_zone":"Local"}`, 400, "time_zone"},
		{"unknown field", "/v1/residents/r1", `{"id":"r2"}`, 400, "id"},
		{"too large", "/v1/residents/r1", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, ""},
	}
	before := s.stored("r1")
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			res := s.json("PATCH", tt.path, tt.body)
			if res.status != tt.status {
				t.Fatalf("PATCH = %d %s, want %d", res.status, res.body, tt.status)
			}
			if e := decode[errorBody](t, res); e.Field != tt.field {
				t.Errorf("error %+v names %q, want %q", e, e.Field, tt.field)
			}
		})
	}
	if after := s.stored("r1"); !after.UpdatedAt.Equal(before.UpdatedAt) || after.Phone != before.Phone {
		t.Errorf("a rejected PATCH changed the resident: %+v", after)
	}
}

func TestOptOuts(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, ann)
	steps := []struct {
		method, name string
		status       int
		wantChannels []outreach.Channel
		wantKinds    []outreach.Kind
	}{
		{"PUT", "sms", 204, []outreach.Channel{"sms"}, nil},
		{"PUT", "sms", 204, []outreach.Channel{"sms"}, nil},
		{"PUT", "holiday_greeting", 204, []outreach.Channel{"sms"}, []outreach.Kind{"holiday_greeting"}},
		{"DELETE", "sms", 204, nil, []outreach.Kind{"holiday_greeting"}},
		{"DELETE", "sms", 204, nil, []outreach.Kind{"holiday_greeting"}},
		{"DELETE", "holiday_greeting", 204, nil, nil},
		{"PUT", "fax", 400, nil, nil},
		{"DELETE", "spam", 400, nil, nil},
	}
	for i, st := range steps {
		res := s.do(st.method, "/v1/residents/r1/opt-outs/"+st.name, "", "")
		if res.status != st.status {
			t.Fatalf("step %d: %s opt-outs/%s = %d %s, want %d", i, st.method, st.name, res.status, res.body, st.status)
		}
		got := s.stored("r1")
		if !slices.Equal(got.OptOutChannels, st.wantChannels) || !slices.Equal(got.OptOutKinds, st.wantKinds) {
			t.Errorf("step %d: opt-outs %q %q, want %q %q", i, got.OptOutChannels, got.OptOutKinds, st.wantChannels, st.wantKinds)
		}
	}
	for _, method := range []string{"PUT", "DELETE"} {
		if res := s.do(method, "/v1/residents/nobody/opt-outs/sms", "", ""); res.status != 404 {
			t.Errorf("%s for an unknown resident = %d %s, want 404", method, res.status, res.body)
		}
	}
}

func TestResidentRoutes(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t, ann)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/v1/residents/r1", 405},
		{"DELETE", "/v1/residents/r1", 405},
		{"POST", "/v1/residents", 405},
		{"GET", "/v1/residents/r1/opt-outs/sms", 405},
		{"GET", "/v1/nothing", 404},
	} {
		if res := s.do(tt.method, tt.path, "", ""); res.status != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, res.status, tt.status)
		}
	}
	// Without a store there is no /v1/ API.
	srv := httptest.NewServer(NewHandler(Config{Gatherer: prometheus.NewRegistry()}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/v1/residents")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("GET /v1/residents without a store = %d, want 404", res.StatusCode)
	}
}

// FuzzResidentAPI sends arbitrary bodies to PUT and PATCH and arbitrary
// queries to the listing: no input makes the API fail with a 500 (bad
// input is the client's error, named), and what it stores passes
// validation again.
func FuzzResidentAPI(f *testing.F) {
	f.Add(`{"name":"王秀英","phone":"138 0013 8000","tags":["elderly"],"time_zone":"Asia/Shanghai"}`, `{"email":"a@example.com"}`, "building=1&tag=elderly")
	f.Add(`{"name":"A","email":"a@example.com","attributes":{"k":"\u0000"}}`, `{"attributes":{"k":null}}`, "after=%00&limit=5")
	f.Add(`{"name":"A","email":"a@example.com","opt_out_kinds":["follow_up"]}`, `{"opt_out_channels":["SMS"]}`, "tag=%ff")
	f.Add(`{"name":"\ud800","email":"a@example.com"}`, `[]`, "limit=1001&x=;")
	st, err := sqlite.Open(f.Context(), sqlite.Memory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	h := NewHandler(Config{Gatherer: prometheus.NewRegistry(), Store: st, PhoneRegion: "CN"})
	f.Fuzz(func(t *testing.T, put, patch, query string) {
		for _, req := range []struct{ method, body string }{{"PUT", put}, {"PATCH", patch}} {
			r := httptest.NewRequestWithContext(t.Context(), req.method, "/v1/residents/fuzz", strings.NewReader(req.body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			switch w.Code {
			case 200, 201:
				var got outreach.Resident
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatalf("%s answered %d with %q: %v", req.method, w.Code, w.Body, err)
				}
				if _, err := resident.Check(got, ""); err != nil {
					t.Fatalf("%s stored a resident that fails validation: %v", req.method, err)
				}
			case 400, 404, 413:
				var e errorBody
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("%s answered %d with %q, want a JSON error", req.method, w.Code, w.Body)
				}
			default:
				t.Fatalf("%s %q answered %d %s", req.method, req.body, w.Code, w.Body)
			}
		}
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/v1/residents", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("GET /v1/residents?%s answered %d %s", query, w.Code, w.Body)
		}
	})
}
