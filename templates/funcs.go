package templates

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
)

// baseFuncs are the helpers that depend on nothing but their arguments.
// They never panic and never fail: a template error should come from the
// template or the data.
var baseFuncs = map[string]any{
	"opt":     opt,
	"has":     has,
	"default": defaultValue,
	"upper":   func(v any) string { return strings.ToUpper(str(v)) },
	"lower":   func(v any) string { return strings.ToLower(str(v)) },
	"trim":    func(v any) string { return strings.TrimSpace(str(v)) },
}

// funcs returns every helper for templates written in locale, with times
// shown in zone (nil: each time keeps its own UTC offset). The date
// helpers are bound to the locale of the template's folder and to the
// resident's time zone, so that {{date .Data.start}} needs no arguments
// beyond the value.
func funcs(locale string, zone *time.Location) map[string]any {
	c := clock{style: styleFor(locale), zone: zone}
	m := maps.Clone(baseFuncs)
	m["date"] = c.date
	m["time"] = c.time
	m["weekday"] = c.weekday
	m["endDate"] = c.endDate
	return m
}

// dateStyle is how a language writes dates and times.
type dateStyle struct {
	dateTime string // Go layout of a date with a time
	weekdays [7]string
}

// dateStyles by language. Other languages get ISO dates and English
// weekday names, which are at least unambiguous.
var (
	dateStyles = map[string]dateStyle{
		"zh": {
			dateTime: "2006年1月2日 15:04",
			weekdays: [7]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"},
		},
		"en": {
			dateTime: "2 January 2006, 15:04",
			weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		},
	}
	isoStyle = dateStyle{dateTime: "2006-01-02 15:04", weekdays: dateStyles["en"].weekdays}
)

func styleFor(locale string) dateStyle {
	if s, ok := dateStyles[language(CanonicalLocale(locale))]; ok {
		return s
	}
	return isoStyle
}

// clock formats times for one locale in one time zone.
type clock struct {
	style dateStyle
	zone  *time.Location
}

// asTime reads v as a time in c's zone: a time.Time, a non-nil *time.Time
// or an RFC 3339 string.
func (c clock) asTime(v any) (time.Time, bool) {
	t, ok := asTime(v)
	if ok && c.zone != nil {
		t = t.In(c.zone)
	}
	return t, ok
}

// date formats a time as the locale writes a date with its time
// ({{date .Data.start}}: "2026年12月2日 09:00", "2 December 2026, 09:00"),
// or with a Go layout ({{date "1月2日 15:04" .Data.start}}). A value that
// is not a time prints as it is, so free text such as "明天上午" passes
// through.
func (c clock) date(args ...any) (string, error) {
	layout, v, err := layoutAndValue("date", c.style.dateTime, args)
	if err != nil {
		return "", err
	}
	if t, ok := c.asTime(v); ok {
		return t.Format(layout), nil
	}
	return str(v), nil
}

// time formats the time of day, "09:00"; other values print as they are.
func (c clock) time(v any) string {
	if t, ok := c.asTime(v); ok {
		return t.Format("15:04")
	}
	return str(v)
}

// weekday names the day of the week in the locale ("星期三", "Wednesday"),
// and is empty for a value that is not a time, so that a template can
// write {{with weekday .Data.start}}（{{.}}）{{end}}.
func (c clock) weekday(v any) string {
	if t, ok := c.asTime(v); ok {
		return c.style.weekdays[t.Weekday()]
	}
	return ""
}

// endDate formats the end of a range: as a time of day when it falls on the
// start's day in the resident's zone, else as date does, so a range reads
// "2026年3月1日 09:00 至 12:00": {{date .Data.start}} 至 {{endDate .Data.start .Data.end}}.
// With two layouts first, {{endDate "1月2日 15:04" "15:04" .Data.start .Data.end}},
// it uses the first for another day and the second for the same day.
func (c clock) endDate(args ...any) (string, error) {
	layout, sameDay := c.style.dateTime, "15:04"
	switch len(args) {
	case 2:
	case 4:
		l, ok1 := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return "", errors.New("endDate: the two layouts must be strings")
		}
		layout, sameDay, args = l, s, args[2:]
	default:
		return "", fmt.Errorf("endDate: want start and end, or two layouts then start and end; got %d arguments", len(args))
	}
	e, ok := c.asTime(args[1])
	if !ok {
		return str(args[1]), nil
	}
	if s, ok := c.asTime(args[0]); ok {
		s = s.In(e.Location())
		if s.Year() == e.Year() && s.YearDay() == e.YearDay() {
			return e.Format(sameDay), nil
		}
	}
	return e.Format(layout), nil
}

// layoutAndValue reads the arguments of a helper that takes a value with an
// optional Go layout before it.
func layoutAndValue(name, def string, args []any) (string, any, error) {
	switch len(args) {
	case 1:
		return def, args[0], nil
	case 2:
		l, ok := args[0].(string)
		if !ok {
			return "", nil, fmt.Errorf("%s: the layout must be a string, got %T", name, args[0])
		}
		return l, args[1], nil
	}
	return "", nil, fmt.Errorf("%s: want a value, or a layout and a value; got %d arguments", name, len(args))
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
