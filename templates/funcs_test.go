package templates

import (
	"testing"
	"time"
)

func TestDateHelpers(t *testing.T) {
	t.Parallel()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	const start = "2026-12-02T09:00:00+08:00" // a Wednesday in Shanghai
	cst := time.FixedZone("CST", 8*3600)
	tm := time.Date(2026, time.March, 1, 9, 30, 0, 0, cst)
	tests := []struct {
		name   string
		locale string
		zone   *time.Location
		call   func(c clock) (string, error)
		want   string
	}{
		{"zh date", "zh-CN", shanghai, date1(start), "2026年12月2日 09:00"},
		{"en date", "en", shanghai, date1(start), "2 December 2026, 09:00"},
		{"en-GB writes English", "en-GB", shanghai, date1(start), "2 December 2026, 09:00"},
		{"zh-TW writes Chinese", "zh-TW", shanghai, date1(start), "2026年12月2日 09:00"},
		{"other languages write ISO", "fr", shanghai, date1(start), "2026-12-02 09:00"},
		{"zh date in London", "zh-CN", london, date1(start), "2026年12月2日 01:00"},
		{"en date in London", "en", london, date1(start), "2 December 2026, 01:00"},
		{"UTC value in Shanghai", "en", shanghai, date1("2026-12-01T20:00:00Z"), "2 December 2026, 04:00"},
		{"no zone keeps the offset", "en", nil, date1("2026-12-01T20:00:00Z"), "1 December 2026, 20:00"},
		{"time.Time in a zone", "zh-CN", london, date1(tm), "2026年3月1日 01:30"},
		{"*time.Time", "en", nil, date1(&tm), "1 March 2026, 09:30"},
		{"nil *time.Time", "en", nil, date1((*time.Time)(nil)), ""},
		{"with a fraction", "en", shanghai, date1("2026-12-02T09:00:15.5+08:00"), "2 December 2026, 09:00"},
		{"free text as is", "zh-CN", shanghai, date1("明天上午 9:00"), "明天上午 9:00"},
		{"date only as is", "en", shanghai, date1("2026-12-02"), "2026-12-02"},
		{"no offset as is", "en", shanghai, date1("2026-12-02 09:00"), "2026-12-02 09:00"},
		{"number as is", "en", shanghai, date1(42), "42"},
		{"nil", "en", shanghai, date1(nil), ""},
		{"layout", "zh-CN", london, func(c clock) (string, error) { return c.date("1月2日 15:04", start) }, "12月2日 01:00"},
		{"layout on free text", "en", nil, func(c clock) (string, error) { return c.date("15:04", "noon") }, "noon"},
		{"zh time", "zh-CN", shanghai, str1(clock.time, start), "09:00"},
		{"en time in London", "en", london, str1(clock.time, start), "01:00"},
		{"time of free text", "en", london, str1(clock.time, "noon"), "noon"},
		{"zh weekday", "zh-CN", shanghai, str1(clock.weekday, start), "星期三"},
		{"en weekday", "en", shanghai, str1(clock.weekday, start), "Wednesday"},
		{"weekday crosses midnight", "en", time.UTC, str1(clock.weekday, "2026-12-02T01:00:00+08:00"), "Tuesday"},
		{"weekday of free text is empty", "zh-CN", shanghai, str1(clock.weekday, "明天"), ""},
	}
	for _, tt := range tests {
		c := clock{style: styleFor(tt.locale), zone: tt.zone}
		got, err := tt.call(c)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func date1(v any) func(clock) (string, error) {
	return func(c clock) (string, error) { return c.date(v) }
}

func str1(f func(clock, any) string, v any) func(clock) (string, error) {
	return func(c clock) (string, error) { return f(c, v), nil }
}

func TestDateRejectsWrongArguments(t *testing.T) {
	t.Parallel()
	c := clock{style: styleFor("en")}
	for _, args := range [][]any{{}, {"a", "b", "c"}, {42, "2026-12-02T09:00:00Z"}} {
		if got, err := c.date(args...); err == nil {
			t.Errorf("date(%v) = %q, want an error", args, got)
		}
	}
	for _, args := range [][]any{{"x"}, {1, 2, "a", "b"}} {
		if got, err := c.endDate(args...); err == nil {
			t.Errorf("endDate(%v) = %q, want an error", args, got)
		}
	}
}

func TestEndDate(t *testing.T) {
	t.Parallel()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		locale     string
		zone       *time.Location
		layouts    []any
		start, end any
		want       string
	}{
		{"same day", "zh-CN", nil, nil, "2026-03-01T09:00:00+08:00", "2026-03-01T12:00:00+08:00", "12:00"},
		{"next day, zh", "zh-CN", nil, nil, "2026-03-01T22:00:00+08:00", "2026-03-02T06:00:00+08:00", "2026年3月2日 06:00"},
		{"next day, en", "en", nil, nil, "2026-03-01T22:00:00+08:00", "2026-03-02T06:00:00+08:00", "2 March 2026, 06:00"},
		{"next day in Shanghai, same day in London", "en", london, nil, "2026-03-01T22:00:00+08:00", "2026-03-02T06:00:00+08:00", "22:00"},
		{"same day in the end's zone", "en", nil, nil, "2026-03-01T01:00:00Z", "2026-03-01T12:00:00+08:00", "12:00"},
		{"free-text start", "en", nil, nil, "tonight", "2026-03-01T12:00:00+08:00", "1 March 2026, 12:00"},
		{"free-text end", "zh-CN", nil, nil, "2026-03-01T09:00:00+08:00", "中午", "中午"},
		{"same day, other year", "en", nil, nil, "2025-03-01T09:00:00+08:00", "2026-03-01T12:00:00+08:00", "1 March 2026, 12:00"},
		{"layouts, same day", "zh-CN", nil, []any{"1/2 15:04", "15:04"}, "2026-03-01T09:00:00+08:00", "2026-03-01T12:00:00+08:00", "12:00"},
		{"layouts, next day", "zh-CN", nil, []any{"1/2 15:04", "15:04"}, "2026-03-01T22:00:00+08:00", "2026-03-02T06:00:00+08:00", "3/2 06:00"},
		{"layouts in a zone", "zh-CN", london, []any{"1/2 15:04", "15:04"}, "2026-03-01T22:00:00+08:00", "2026-03-02T09:00:00+08:00", "3/2 01:00"},
	}
	for _, tt := range tests {
		c := clock{style: styleFor(tt.locale), zone: tt.zone}
		got, err := c.endDate(append(tt.layouts, tt.start, tt.end)...)
		if err != nil || got != tt.want {
			t.Errorf("%s: endDate = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestOptHasDefault(t *testing.T) {
	t.Parallel()
	data := map[string]any{"a": "x", "n": 0, "nil": nil}
	attrs := map[string]string{"floor": "12"}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"opt present", opt(data, "a"), "x"},
		{"opt zero number", opt(data, "n"), 0},
		{"opt nil", opt(data, "nil"), ""},
		{"opt missing", opt(data, "b"), ""},
		{"opt attributes", opt(attrs, "floor"), "12"},
		{"opt attributes missing", opt(attrs, "unit"), ""},
		{"opt on a non-map", opt("text", "a"), ""},
		{"has present", has(data, "a"), true},
		{"has nil", has(data, "nil"), false},
		{"has missing", has(data, "b"), false},
		{"has attributes", has(attrs, "floor"), true},
		{"has on nil", has(nil, "a"), false},
		{"default for empty", defaultValue("d", ""), "d"},
		{"default for blank", defaultValue("d", "  "), "d"},
		{"default for nil", defaultValue("d", nil), "d"},
		{"default for empty list", defaultValue("d", []any{}), "d"},
		{"default keeps value", defaultValue("d", "v"), "v"},
		{"default keeps zero", defaultValue("d", 0), 0},
		{"upper", baseFuncs["upper"].(func(any) string)("wo-1024"), "WO-1024"},
		{"trim", baseFuncs["trim"].(func(any) string)(" x "), "x"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func TestCleanDataDoesNotChangeInput(t *testing.T) {
	t.Parallel()
	in := map[string]any{"a": "", "b": nil, "c": map[string]any{"d": nil, "e": "x"}, "f": []any{nil, "y"}}
	out := cleanData(in)
	if len(in) != 4 || len(in["c"].(map[string]any)) != 2 || len(in["f"].([]any)) != 2 {
		t.Errorf("cleanData changed its input: %v", in)
	}
	if len(out) != 2 || len(out["c"].(map[string]any)) != 1 || len(out["f"].([]any)) != 1 {
		t.Errorf("cleanData = %v, want only c.e and f[y]", out)
	}
}
