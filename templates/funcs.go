package templates

import (
	"fmt"
	"strings"
	"time"
)

// funcs are the helpers every template can call. They never panic and never
// fail: a template error should come from the template or the data.
var funcs = map[string]any{
	"opt":     opt,
	"has":     has,
	"default": defaultValue,
	"upper":   func(v any) string { return strings.ToUpper(str(v)) },
	"lower":   func(v any) string { return strings.ToLower(str(v)) },
	"trim":    func(v any) string { return strings.TrimSpace(str(v)) },
	"date":    date,
	"endDate": endDate,
}

// opt returns m[key], or "" when m has no such key (m being .Data,
// .Resident or .Resident.Attributes). It is how a template reads an
// optional value: {{with opt .Data "reason"}}...{{end}}.
func opt(m any, key string) any {
	switch m := m.(type) {
	case map[string]any:
		if v, ok := m[key]; ok && v != nil {
			return v
		}
	case map[string]string:
		if v, ok := m[key]; ok {
			return v
		}
	}
	return ""
}

// has reports whether m has key: {{if has .Data "contact"}}.
func has(m any, key string) bool {
	switch m := m.(type) {
	case map[string]any:
		v, ok := m[key]
		return ok && v != nil
	case map[string]string:
		_, ok := m[key]
		return ok
	}
	return false
}

// defaultValue returns v, or def when v is empty (nil, a blank string, an
// empty list or map). Its argument order suits pipelines:
// {{opt .Data "contact" | default "400-000-0000"}}.
func defaultValue(def, v any) any {
	if empty(v) {
		return def
	}
	return v
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case []string:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	case map[string]string:
		return len(v) == 0
	}
	return false
}

// date formats v with a Go layout when v is a time.Time or an RFC 3339
// string (keeping its UTC offset), and prints any other value as it is, so
// that free-text times such as "3月1日 9:00" pass through.
func date(layout string, v any) string {
	if t, ok := asTime(v); ok {
		return t.Format(layout)
	}
	return str(v)
}

// endDate formats the end of a range like date, but with sameDay as the
// layout when end falls on the same calendar day as start, so that a range
// reads "3月1日 09:00至12:00": {{endDate "1月2日 15:04" "15:04" .Data.start .Data.end}}.
func endDate(layout, sameDay string, start, end any) string {
	e, ok := asTime(end)
	if !ok {
		return str(end)
	}
	if s, ok := asTime(start); ok {
		s = s.In(e.Location())
		if s.Year() == e.Year() && s.YearDay() == e.YearDay() {
			return e.Format(sameDay)
		}
	}
	return e.Format(layout)
}

// asTime reads v as a time: a time.Time, a non-nil *time.Time or an
// RFC 3339 string.
func asTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, true
	case *time.Time:
		if v != nil {
			return *v, true
		}
	case string:
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(v)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// str prints v the way a template action would.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.String()
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}
