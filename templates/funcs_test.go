package templates

import (
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("CST", 8*3600)
	tm := time.Date(2026, time.March, 1, 9, 30, 0, 0, cst)
	tests := []struct {
		name   string
		layout string
		v      any
		want   string
	}{
		{"time", "2006-01-02 15:04", tm, "2026-03-01 09:30"},
		{"pointer", "2006-01-02", &tm, "2026-03-01"},
		{"nil pointer", "2006-01-02", (*time.Time)(nil), ""},
		{"RFC 3339 keeps its offset", "1月2日 15:04", "2026-03-01T09:30:00+08:00", "3月1日 09:30"},
		{"RFC 3339 UTC", "15:04", "2026-03-01T01:30:00Z", "01:30"},
		{"RFC 3339 with fraction", "15:04:05", "2026-03-01T09:30:15.5+08:00", "09:30:15"},
		{"free text as is", "2006-01-02", "3月1日 9:00", "3月1日 9:00"},
		{"date only as is", "Jan 2", "2026-03-01", "2026-03-01"},
		{"number as is", "2006", 42, "42"},
		{"nil", "2006", nil, ""},
	}
	for _, tt := range tests {
		if got := date(tt.layout, tt.v); got != tt.want {
			t.Errorf("%s: date(%q, %v) = %q, want %q", tt.name, tt.layout, tt.v, got, tt.want)
		}
	}
}

func TestEndDate(t *testing.T) {
	t.Parallel()
	const long, short = "1/2 15:04", "15:04"
	tests := []struct {
		name       string
		start, end any
		want       string
	}{
		{"same day", "2026-03-01T09:00:00+08:00", "2026-03-01T12:00:00+08:00", "12:00"},
		{"next day", "2026-03-01T22:00:00+08:00", "2026-03-02T06:00:00+08:00", "3/2 06:00"},
		{"same day in the end's zone", "2026-03-01T01:00:00Z", "2026-03-01T12:00:00+08:00", "12:00"},
		{"free-text start", "今晚", "2026-03-01T12:00:00+08:00", "3/1 12:00"},
		{"free-text end", "2026-03-01T09:00:00+08:00", "中午", "中午"},
		{"same day, other year", "2025-03-01T09:00:00+08:00", "2026-03-01T12:00:00+08:00", "3/1 12:00"},
	}
	for _, tt := range tests {
		if got := endDate(long, short, tt.start, tt.end); got != tt.want {
			t.Errorf("%s: endDate(%v, %v) = %q, want %q", tt.name, tt.start, tt.end, got, tt.want)
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
		{"upper", funcs["upper"].(func(any) string)("wo-1024"), "WO-1024"},
		{"trim", funcs["trim"].(func(any) string)(" x "), "x"},
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
