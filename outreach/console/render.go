package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// pageNames are the templates in templates/: each defines "content",
// framed by layout.html.
var pageNames = []string{"login", "error", "archive", "delivery", "residents", "resident", "users", "audit", "overview", "satisfaction", "campaigns", "campaign", "deadletters", "deadletter", "newcampaign", "resident_edit", "import", "importstatus", "templates", "useredit", "cases", "case"}

func (c *Console) parseTemplates() error {
	funcs := template.FuncMap{
		"t": translate,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.In(c.cfg.TimeZone).Format("2006-01-02 15:04")
		},
		"whenp": func(t *time.Time) string {
			if t == nil || t.IsZero() {
				return "-"
			}
			return t.In(c.cfg.TimeZone).Format("2006-01-02 15:04:05")
		},
		"day": func(t time.Time) string { return t.In(c.cfg.TimeZone).Format("2006-01-02") },
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"percent": percent,
		"addf":    func(a, b float64) float64 { return a + b },
		"halff":   func(a float64) float64 { return a / 2 },
		"join":    strings.Join,
		"pct":     func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
		"add":     func(a, b int) int { return a + b },
		// dict passes several values to a template: dict "K" v "K2" v2.
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		// query is a URL's query string from key-value pairs (the empty
		// values left out), encoded by url.Values: safe in an href.
		"query": func(kv ...string) template.URL {
			q := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					q.Set(kv[i], kv[i+1])
				}
			}
			return template.URL(q.Encode())
		},
	}
	c.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("console: template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	return nil
}

// view is what every template gets.
type view struct {
	Lang  string
	Title string
	// Path is the request's URL, where the language switch comes back to.
	Path string
	User *outreach.ConsoleUser
	CSRF string
	// CanUsers and CanAudit show those pages in the menu.
	CanUsers, CanAudit bool
	// CanDead shows the dead letters.
	CanDead bool
	Data    any
}

// render executes page name with data, framed by the layout (htmx picks
// the part it swaps in with hx-select).
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, data any) {
	lang := langOf(r)
	v := view{Lang: lang, Title: translate(lang, titleKey), Path: r.URL.RequestURI(), Data: data}
	if s := sessionOf(r); s != nil {
		v.User, v.CSRF = &s.User, s.CSRF
		for _, p := range c.table() {
			switch p.Pattern {
			case "GET /console/users":
				v.CanUsers = p.allows(s.User)
			case "GET /console/audit":
				v.CanAudit = p.allows(s.User)
			case "GET /console/deadletters":
				v.CanDead = p.allows(s.User)
			}
		}
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.cfg.Logger.Error("console: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorView struct{ Message string }

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	c.render(w, r, status, "error", key, errorView{Message: key})
}

func (c *Console) serverError(w http.ResponseWriter, r *http.Request, err error) {
	c.cfg.Logger.Error("console", "path", r.URL.Path, "err", err)
	c.errorPage(w, r, http.StatusInternalServerError, "error.internal")
}
