package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// limitedToken creates a token limited to estates and returns its secret.
func (env *v1Env) limitedToken(name string, estates []string, scopes ...outreach.Scope) string {
	env.t.Helper()
	secret, tok, err := outreach.NewToken(name, scopes)
	if err != nil {
		env.t.Fatal(err)
	}
	tok.Estates = estates
	if err := env.store.CreateToken(env.t.Context(), tok); err != nil {
		env.t.Fatal(err)
	}
	return secret
}

// estateIDs reads the ids of an estate list.
func estateIDs(t *testing.T, r response) []string {
	t.Helper()
	var out struct{ Estates []outreach.Estate }
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("estate list %s: %v", r.body, err)
	}
	var ids []string
	for _, e := range out.Estates {
		ids = append(ids, e.ID)
	}
	return ids
}

const sunshine = `{"id":"sunshine","name":"阳光花园","company":"万科物业","service_phone":"0571-88886666","office_hours":"周一至周日 8:00-20:00",
	"sms_signature":"【阳光花园物业】","email_from_name":"阳光花园物业服务中心","reply_to":"service@sunshine.example","time_zone":"Asia/Shanghai","locale":"zh-cn","quiet_hours":"21:00-08:00"}`

// TestEstatesCRUD, on each archive driver: create, read, list, change and delete an estate over
// HTTP, with the store's rules (a duplicate id, an estate with residents,
// the default estate) answered 409 and unknown ones 404.
func TestEstatesCRUD(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testEstatesCRUD(t, st) })
}

func testEstatesCRUD(t *testing.T, st outreach.Store) {
	env := newV1EnvWith(t, st)
	all, read := env.tokens["all"], env.tokens["read"]
	r := env.do("POST", "/v1/estates", all, sunshine)
	if r.status != http.StatusCreated || r.header.Get("Location") != "/v1/estates/sunshine" {
		t.Fatalf("create = %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
	}
	var e outreach.Estate
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Name != "阳光花园" || e.SMSSignature != "【阳光花园物业】" || e.Locale != "zh-CN" || e.CreatedAt.IsZero() {
		t.Errorf("created %+v", e)
	}
	if r := env.do("POST", "/v1/estates", all, sunshine); r.status != http.StatusConflict {
		t.Errorf("create again = %d %s, want 409", r.status, r.body)
	}
	if r := env.do("GET", "/v1/estates/sunshine", read, ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "0571-88886666") {
		t.Errorf("get = %d %s", r.status, r.body)
	}
	if r := env.do("GET", "/v1/estates/nowhere", read, ""); r.status != http.StatusNotFound {
		t.Errorf("get unknown = %d %s, want 404", r.status, r.body)
	}
	if got := estateIDs(t, env.do("GET", "/v1/estates", read, "")); !slices.Equal(got, []string{"default", "sunshine"}) {
		t.Errorf("list = %v", got)
	}
	r = env.do("PATCH", "/v1/estates/sunshine", all, `{"service_phone":"0571-88887777","address":""}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "0571-88887777") || !strings.Contains(string(r.body), "阳光花园物业服务中心") {
		t.Errorf("patch = %d %s", r.status, r.body)
	}
	if r := env.do("PATCH", "/v1/estates/nowhere", all, `{"name":"x"}`); r.status != http.StatusNotFound {
		t.Errorf("patch unknown = %d %s, want 404", r.status, r.body)
	}
	if r := env.do("PATCH", "/v1/estates/sunshine", all, `{"id":"moon"}`); r.status != http.StatusBadRequest {
		t.Errorf("patch the id = %d %s, want 400 (unknown field)", r.status, r.body)
	}
	if r := env.do("PATCH", "/v1/estates/sunshine", read, `{"name":"x"}`); r.status != http.StatusForbidden {
		t.Errorf("patch with read = %d, want 403", r.status)
	}
	// An estate with residents stays; so does the default one.
	if r := env.do("PUT", "/v1/residents/r5001", all, `{"name":"张伟","estate":"sunshine","phone":"+8613800138050"}`); r.status != http.StatusCreated {
		t.Fatalf("put resident = %d %s", r.status, r.body)
	}
	if r := env.do("DELETE", "/v1/estates/sunshine", all, ""); r.status != http.StatusConflict {
		t.Errorf("delete an estate with residents = %d %s, want 409", r.status, r.body)
	}
	if r := env.do("DELETE", "/v1/estates/default", all, ""); r.status != http.StatusConflict {
		t.Errorf("delete the default estate = %d %s, want 409", r.status, r.body)
	}
	if r := env.do("PATCH", "/v1/residents/r5001", all, `{"estate":""}`); r.status != http.StatusOK || !strings.Contains(string(r.body), `"estate":"default"`) {
		t.Fatalf("move the resident to the default estate = %d %s", r.status, r.body)
	}
	if r := env.do("DELETE", "/v1/estates/sunshine", all, ""); r.status != http.StatusNoContent {
		t.Errorf("delete = %d %s, want 204", r.status, r.body)
	}
	if r := env.do("DELETE", "/v1/estates/sunshine", all, ""); r.status != http.StatusNotFound {
		t.Errorf("delete again = %d %s, want 404", r.status, r.body)
	}
}

// TestEstateValidation: a bad estate is a 400 whose field (and problems)
// name what is wrong, on create and on change; nothing is stored.
func TestEstateValidation(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testEstateValidation(t, st) })
}

func testEstateValidation(t *testing.T, st outreach.Store) {
	env := newV1EnvWith(t, st)
	all := env.tokens["all"]
	for _, tt := range []struct {
		body, field, says string
	}{
		{`{"id":"a","name":"A","sms_signature":"阳光花园物业"}`, "sms_signature", "【】"},
		{`{"id":"a","name":"A","sms_signature":"[阳光花园物业]"}`, "sms_signature", "【】"},
		{`{"id":"a","name":"A","sms_signature":"【阳】"}`, "sms_signature", "2-16"},
		{`{"id":"a","name":"A","time_zone":"Mars/Olympus"}`, "time_zone", "Mars/Olympus"},
		{`{"id":"a","name":"A","quiet_hours":"25:00-08:00"}`, "quiet_hours", "25:00"},
		{`{"id":"a","name":"A","reply_to":"not an address"}`, "reply_to", "email address"},
		{`{"id":"a","name":"A","locale":"x"}`, "locale", "locale"},
		{`{"id":"A B","name":"A"}`, "id", "lower-case"},
		{`{"id":"a"}`, "name", "name"},
		{`{"id":"a","name":"A","colour":"red"}`, "colour", "unknown field"},
	} {
		r := env.do("POST", "/v1/estates", all, tt.body)
		var e errorBody
		_ = json.Unmarshal(r.body, &e)
		if r.status != http.StatusBadRequest || e.Field != tt.field || !strings.Contains(e.Error, tt.says) {
			t.Errorf("POST %s = %d %s, want 400 naming %s and saying %q", tt.body, r.status, r.body, tt.field, tt.says)
		}
	}
	r := env.do("POST", "/v1/estates", all, `{"id":"a","name":"A","sms_signature":"bad","time_zone":"Nowhere/Zone"}`)
	var e errorBody
	_ = json.Unmarshal(r.body, &e)
	if len(e.Problems) != 2 || e.Problems[0].Field != "sms_signature" || e.Problems[1].Field != "time_zone" {
		t.Errorf("two problems: %s", r.body)
	}
	if got := estateIDs(t, env.do("GET", "/v1/estates", all, "")); !slices.Equal(got, []string{"default"}) {
		t.Errorf("a refused estate was stored: %v", got)
	}
	if r := env.do("POST", "/v1/estates", all, sunshine); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	r = env.do("PATCH", "/v1/estates/sunshine", all, `{"sms_signature":"阳光花园"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"field":"sms_signature"`) {
		t.Errorf("patch a bad signature = %d %s, want 400 naming sms_signature", r.status, r.body)
	}
	if r := env.do("GET", "/v1/estates/sunshine", all, ""); !strings.Contains(string(r.body), "【阳光花园物业】") {
		t.Errorf("a refused patch changed the estate: %s", r.body)
	}
}

// TestEstatesOfALimitedToken: a limited token lists and reads only its
// estates (another is not found, like an unknown one), may change them,
// and may neither create nor delete estates.
func TestEstatesOfALimitedToken(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testEstatesOfALimitedToken(t, st) })
}

func testEstatesOfALimitedToken(t *testing.T, st outreach.Store) {
	env := newV1EnvWith(t, st)
	all := env.tokens["all"]
	for _, id := range []string{"east", "west"} {
		if r := env.do("POST", "/v1/estates", all, `{"id":"`+id+`","name":"`+id+`"}`); r.status != http.StatusCreated {
			t.Fatalf("create %s = %d %s", id, r.status, r.body)
		}
	}
	east := env.limitedToken("east-office", []string{"east"}, outreach.ScopeManage, outreach.ScopeRead)
	if got := estateIDs(t, env.do("GET", "/v1/estates", east, "")); !slices.Equal(got, []string{"east"}) {
		t.Errorf("a token of east lists %v", got)
	}
	if r := env.do("GET", "/v1/estates/east", east, ""); r.status != http.StatusOK {
		t.Errorf("get own = %d %s", r.status, r.body)
	}
	hidden, unknown := env.do("GET", "/v1/estates/west", east, ""), env.do("GET", "/v1/estates/nowhere", east, "")
	if hidden.status != http.StatusNotFound || strings.ReplaceAll(string(hidden.body), "west", "X") != strings.ReplaceAll(string(unknown.body), "nowhere", "X") {
		t.Errorf("another estate = %d %s; an unknown one = %d %s: want the same 404", hidden.status, hidden.body, unknown.status, unknown.body)
	}
	if r := env.do("PATCH", "/v1/estates/east", east, `{"office_hours":"8:00-18:00"}`); r.status != http.StatusOK {
		t.Errorf("patch own = %d %s", r.status, r.body)
	}
	if r := env.do("PATCH", "/v1/estates/west", east, `{"office_hours":"8:00-18:00"}`); r.status != http.StatusNotFound {
		t.Errorf("patch another = %d %s, want 404", r.status, r.body)
	}
	if r := env.do("POST", "/v1/estates", east, `{"id":"north","name":"north"}`); r.status != http.StatusForbidden {
		t.Errorf("create = %d %s, want 403", r.status, r.body)
	}
	if r := env.do("DELETE", "/v1/estates/east", east, ""); r.status != http.StatusForbidden {
		t.Errorf("delete own = %d %s, want 403", r.status, r.body)
	}
	if r := env.do("DELETE", "/v1/estates/west", east, ""); r.status != http.StatusNotFound {
		t.Errorf("delete another = %d %s, want 404", r.status, r.body)
	}
	if got := estateIDs(t, env.do("GET", "/v1/estates", all, "")); !slices.Equal(got, []string{"default", "east", "west"}) {
		t.Errorf("estates after the limited token's attempts: %v", got)
	}
}
