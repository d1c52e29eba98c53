package survey

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		score   int
		comment string
		err     error
	}{
		{"5", 5, "", nil},
		{" 5 ", 5, "", nil},
		{"5。", 5, "", nil},
		{"“4”", 4, "", nil},
		{"５", 5, "", nil},
		{"５分", 5, "", nil},
		{"5分", 5, "", nil},
		{"3 分", 3, "", nil},
		{"5星", 5, "", nil},
		{"5颗星", 5, "", nil},
		{"五", 5, "", nil},
		{"五星", 5, "", nil},
		{"五分！", 5, "", nil},
		{"叁", 3, "", nil},
		{"一", 1, "", nil},
		{"5 stars", 5, "", nil},
		{"4 Stars!", 4, "", nil},
		{"1 star", 1, "", nil},
		{"5/5", 5, "", nil},
		{"4／5", 4, "", nil},
		{"3 out of 5", 3, "", nil},
		{"⭐⭐⭐⭐", 4, "", nil},
		{"★★", 2, "", nil},
		{"非常满意", 5, "", nil},
		{"满意", 4, "", nil},
		{"一般", 3, "", nil},
		{"不满意", 2, "", nil},
		{"非常不满意", 1, "", nil},
		{"非常满意！", 5, "", nil},
		{"Very satisfied", 5, "", nil},
		{"satisfied", 4, "", nil},
		{"neutral", 3, "", nil},
		{"unsatisfied", 2, "", nil},
		{"Dissatisfied.", 2, "", nil},
		{"very unsatisfied", 1, "", nil},
		{"very dissatisfied", 1, "", nil},
		{"not satisfied", 2, "", nil},
		{"4 师傅很准时", 4, "师傅很准时", nil},
		{"4，师傅很准时", 4, "师傅很准时", nil},
		{"5分 师傅很专业，谢谢！", 5, "师傅很专业，谢谢", nil},
		{"2 还是漏水", 2, "还是漏水", nil},
		{"满意，师傅很准时", 4, "师傅很准时", nil},
		{"不满意 还是漏水", 2, "还是漏水", nil},
		{"师傅很准时，5分", 5, "师傅很准时", nil},
		{"师傅很准时，非常满意", 5, "师傅很准时", nil},
		{"服务不错 4/5", 4, "服务不错", nil},
		{"the plumber was late, dissatisfied", 2, "the plumber was late", nil},
		{"5 stars, quick and friendly", 5, "quick and friendly", nil},
		{"不是很满意", 0, "不是很满意", ErrNoScore},
		{"师傅什么时候来？", 0, "师傅什么时候来", ErrNoScore},
		{"3号楼还在漏水", 0, "3号楼还在漏水", ErrNoScore},
		{"1202室", 0, "1202室", ErrNoScore},
		{"2024年修好了", 0, "2024年修好了", ErrNoScore},
		{"10 点再来一次", 0, "10 点再来一次", ErrNoScore},
		{"好久没人来修", 0, "好久没人来修", ErrNoScore},
		{"差不多", 0, "差不多", ErrNoScore},
		{"电话 138 0013 8000", 0, "电话 138 0013 8000", ErrNoScore},
		{"satisfiedly", 0, "satisfiedly", ErrNoScore},
		{"", 0, "", ErrNoScore},
		{"  ？！ ", 0, "", ErrNoScore},
		{"0", 0, "0", ErrOutOfRange},
		{"6", 0, "6", ErrOutOfRange},
		{"10分", 0, "10分", ErrOutOfRange},
		{"99", 0, "99", ErrOutOfRange},
		{"⭐⭐⭐⭐⭐⭐", 0, "⭐⭐⭐⭐⭐⭐", ErrNoScore},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("Parse(%q): error %v, want %v", tt.in, err, tt.err)
		}
		if got.Score != tt.score || got.Comment != tt.comment {
			t.Errorf("Parse(%q) = %d %q, want %d %q", tt.in, got.Score, got.Comment, tt.score, tt.comment)
		}
	}
}

func TestParseCutsLongComments(t *testing.T) {
	t.Parallel()
	long := "3 " + strings.Repeat("漏", MaxComment+50)
	got, err := Parse(long)
	if err != nil || got.Score != 3 || utf8.RuneCountInString(got.Comment) != MaxComment {
		t.Errorf("Parse(long) = %d, %d runes, %v; want 3, %d runes", got.Score, utf8.RuneCountInString(got.Comment), err, MaxComment)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"5", "５分", "五星", "5 stars", "5/5", "非常不满意", "4 师傅很准时", "师傅很准时，5分",
		"very satisfied", "10", "3号楼", "⭐⭐⭐", "\xff\xfe", "不是很满意"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		switch {
		case err == nil && (a.Score < MinScore || a.Score > MaxScore):
			t.Fatalf("Parse(%q) = score %d without an error", s, a.Score)
		case err != nil && a.Score != 0:
			t.Fatalf("Parse(%q) = score %d with error %v", s, a.Score, err)
		case err != nil && !errors.Is(err, ErrNoScore) && !errors.Is(err, ErrOutOfRange):
			t.Fatalf("Parse(%q): unexpected error %v", s, err)
		case !utf8.ValidString(a.Comment):
			t.Fatalf("Parse(%q): comment %q is not UTF-8", s, a.Comment)
		case utf8.RuneCountInString(a.Comment) > MaxComment:
			t.Fatalf("Parse(%q): comment longer than %d runes", s, MaxComment)
		}
	})
}
