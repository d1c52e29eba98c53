package survey

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinScore and MaxScore bound the 5-point scale (5 is very satisfied).
const (
	MinScore = 1
	MaxScore = 5
)

// Answer is what a resident's reply says: a score on the 5-point scale and
// the words that came with it.
type Answer struct {
	Score   int    // 1-5; 0 when the reply holds no score
	Comment string // the rest of the reply, trimmed; "" for a bare score
}

// Errors of Parse. Either way the Answer's Comment holds the reply's text.
var (
	// ErrNoScore: the reply is words without a score ("师傅什么时候来？").
	ErrNoScore = errors.New("the reply holds no score")
	// ErrOutOfRange: the reply is a number, but not 1-5 ("0", "10分").
	ErrOutOfRange = errors.New("the score is outside 1-5")
)

// MaxComment is the longest comment kept, in runes; a longer one is cut
// (Truncate) and the survey records that it was.
const MaxComment = 1000

// phrases are the words residents answer with instead of a number, longest
// first within a language so that 非常不满意 is not read as 满意. Latin
// phrases must end at a word boundary ("satisfiedly" is not one).
var phrases = []struct {
	text  string
	score int
}{
	{"非常不满意", 1}, {"十分不满意", 1}, {"很不满意", 1}, {"极不满意", 1}, {"特别不满意", 1},
	{"非常满意", 5}, {"十分满意", 5}, {"特别满意", 5}, {"很满意", 5}, {"超级满意", 5},
	{"不太满意", 2}, {"不满意", 2}, {"比较满意", 4}, {"基本满意", 4}, {"还算满意", 4}, {"满意", 4},
	{"非常好", 5}, {"很好", 5}, {"非常差", 1}, {"很差", 1}, {"太差", 1},
	{"一般般", 3}, {"一般", 3}, {"还行", 3}, {"还可以", 3}, {"凑合", 3}, {"差", 2}, {"好", 4},
	{"very dissatisfied", 1}, {"very unsatisfied", 1}, {"extremely dissatisfied", 1},
	{"very satisfied", 5}, {"extremely satisfied", 5}, {"completely satisfied", 5},
	{"not satisfied", 2}, {"dissatisfied", 2}, {"unsatisfied", 2},
	{"somewhat satisfied", 4}, {"satisfied", 4},
	{"very poor", 1}, {"terrible", 1}, {"awful", 1}, {"poor", 2}, {"bad", 2},
	{"neutral", 3}, {"average", 3}, {"okay", 3}, {"ok", 3}, {"so-so", 3}, {"fine", 3},
	{"very good", 5}, {"excellent", 5}, {"great", 5}, {"perfect", 5}, {"good", 4},
}

// numerals are the Chinese numerals of 1-5, ordinary and formal (大写).
var numerals = map[rune]int{
	'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5,
	'壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5,
}

// units may follow a number: 5分, 5星, 5 stars, 5/5, 5 points.
var units = []string{"颗星", "星", "分", " 颗星", " 星", " 分", "/5", " / 5", " /5", "/ 5", "stars", "star", " stars", " star",
	"points", "point", " points", " point", "pts", " pts", "out of 5", " out of 5"}

// Parse reads a reply to a survey: "5", "５", "5分", "5星", "五", "五星",
// "5 stars", "5/5", "⭐⭐⭐⭐", "非常满意", "满意", "一般", "不满意",
// "非常不满意", "very satisfied", "neutral", ..., with spaces and
// punctuation around. A score may come first ("4 师傅很准时") or last
// with a unit or as a word ("师傅很准时，5分"): the other words are the
// comment. A reply without a score is ErrNoScore, a number outside 1-5
// ErrOutOfRange; the comment is the whole reply then.
func Parse(text string) (Answer, error) {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	s := trim(strings.Map(halfWidth, text))
	if s == "" {
		return Answer{}, ErrNoScore
	}
	if n, ok := stars(s); ok {
		return Answer{Score: n}, nil
	}
	if score, rest, err, ok := leading(s); ok {
		return Answer{Score: score, Comment: Truncate(trim(rest))}, err
	}
	if score, rest, ok := trailing(s); ok {
		return Answer{Score: score, Comment: Truncate(trim(rest))}, nil
	}
	return Answer{Comment: Truncate(s)}, ErrNoScore
}

// Truncate cuts a comment to MaxComment runes.
func Truncate(s string) string {
	if utf8.RuneCountInString(s) <= MaxComment {
		return s
	}
	r := []rune(s)
	return string(r[:MaxComment])
}

// leading reads a score at the start of s and returns the rest. ok is false
// when s does not start with one; err is ErrOutOfRange for a number outside
// 1-5 that stands alone or with a unit.
func leading(s string) (score int, rest string, err error, ok bool) {
	for _, p := range phrases {
		n, found := prefixFold(s, p.text)
		if !found || !boundary(p.text, s[n:]) {
			continue
		}
		if after := s[n:]; utf8.RuneCountInString(p.text) > 1 || after == "" || separator(after) {
			return p.score, after, nil, true // 好久没人来 is not 好
		}
	}
	if d := digits(s); d != "" {
		after := s[len(d):]
		after, unit := cutUnit(after)
		if !unit && after != "" && !separator(after) {
			return 0, "", nil, false // 3号楼, 1202室: an address, not a score
		}
		n := atoi(d)
		if n < MinScore || n > MaxScore {
			if after == "" || unit {
				return 0, s, ErrOutOfRange, true
			}
			return 0, "", nil, false // 2024 年, 10 点: a date or a time
		}
		return n, after, nil, true
	}
	r, size := utf8.DecodeRuneInString(s)
	if n, isNumeral := numerals[r]; isNumeral {
		after, unit := cutUnit(s[size:])
		if unit || after == "" || separator(after) {
			return n, after, nil, true
		}
	}
	return 0, "", nil, false
}

// trailing reads a score at the end of s: a number with a unit ("5分",
// "4/5") or a phrase ("…，非常满意"). A bare number at the end is not
// taken: "电话 138 0013 8000" or "3号楼 2" are too easily something else.
func trailing(s string) (score int, rest string, ok bool) {
	for _, p := range phrases {
		n, found := suffixFold(s, p.text)
		if !found {
			continue
		}
		before := s[:len(s)-n]
		if utf8.RuneCountInString(p.text) < 2 || (latin(p.text) && before != "" && !endsWithSeparator(before)) {
			continue // a one-character word (好, 差) ends too many sentences
		}
		if negated(before) {
			continue
		}
		return p.score, before, true
	}
	for _, u := range units {
		n, found := suffixFold(s, strings.TrimSpace(u))
		if !found {
			continue
		}
		before := strings.TrimRight(s[:len(s)-n], " ")
		end := len(before)
		start := end
		for start > 0 && before[start-1] >= '0' && before[start-1] <= '9' {
			start--
		}
		if start < end {
			n := atoi(before[start:end])
			if n >= MinScore && n <= MaxScore && (start == 0 || endsWithSeparator(before[:start])) {
				return n, before[:start], true
			}
			continue
		}
		if r, size := utf8.DecodeLastRuneInString(before); size > 0 {
			if n, isNumeral := numerals[r]; isNumeral && strings.TrimSpace(u) != "/5" {
				return n, before[:len(before)-size], true
			}
		}
	}
	return 0, "", false
}

// negated reports whether the words before a trailing phrase turn it
// around ("不是很满意" ends in 很满意 but means the opposite).
func negated(before string) bool {
	lower := strings.ToLower(before)
	if strings.HasSuffix(lower, "not ") || strings.HasSuffix(lower, "never ") {
		return true
	}
	r := []rune(lower)
	return strings.ContainsAny(string(r[max(0, len(r)-3):]), "不没别")
}

// stars counts a reply made of star characters only (⭐⭐⭐⭐, ★★★).
func stars(s string) (int, bool) {
	n := 0
	for _, r := range s {
		switch {
		case r == '⭐' || r == '★' || r == '🌟':
			n++
		case r == '\uFE0F' || unicode.IsSpace(r):
		default:
			return 0, false
		}
	}
	return n, n >= MinScore && n <= MaxScore
}

// cutUnit removes a unit at the start of s ("分", "/5", " stars").
func cutUnit(s string) (string, bool) {
	for _, u := range units {
		if n, found := prefixFold(s, u); found && boundary(u, s[n:]) {
			return s[n:], true
		}
	}
	return s, false
}

// prefixFold reports whether s starts with the lower-case word p, in any
// case, and how many bytes of s it takes.
func prefixFold(s, p string) (int, bool) {
	i := 0
	for _, pr := range p {
		if i >= len(s) {
			return 0, false
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if sr != pr && unicode.ToLower(sr) != pr {
			return 0, false
		}
		i += size
	}
	return i, true
}

// suffixFold is prefixFold at the end of s.
func suffixFold(s, p string) (int, bool) {
	i := len(s)
	for j := len(p); j > 0; {
		pr, psize := utf8.DecodeLastRuneInString(p[:j])
		if i <= 0 {
			return 0, false
		}
		sr, size := utf8.DecodeLastRuneInString(s[:i])
		if sr != pr && unicode.ToLower(sr) != pr {
			return 0, false
		}
		i -= size
		j -= psize
	}
	return len(s) - i, true
}

// boundary reports whether a Latin word ends where rest begins: rest is
// empty or starts with a non-letter. Chinese words need no boundary.
func boundary(word, rest string) bool {
	if !latin(word) || rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func latin(word string) bool {
	r, _ := utf8.DecodeLastRuneInString(word)
	return r < utf8.RuneSelf
}

// separator reports whether s starts with a space or punctuation: the end
// of the score's token.
func separator(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

func endsWithSeparator(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// digits is the run of ASCII digits at the start of s (at most 9, so that
// atoi cannot overflow; a longer run is no score anyway).
func digits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 9 {
		return s[:0]
	}
	return s[:i]
}

func atoi(d string) int {
	n := 0
	for i := 0; i < len(d); i++ {
		n = n*10 + int(d[i]-'0')
	}
	return n
}

// halfWidth maps the full-width digits, letters and slash of Chinese input
// methods (５, Ｓ, ／) to ASCII; other characters (the full-width comma of
// a comment) stay as the resident wrote them.
func halfWidth(r rune) rune {
	switch {
	case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ', r == '／':
		return r - 0xFEE0
	}
	return r
}

// trim removes spaces, punctuation and symbols around s (not stars: the
// callers look at those first).
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		if r == '⭐' || r == '★' || r == '🌟' {
			return false
		}
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsControl(r) ||
			(unicode.IsSymbol(r) && r != '/') || r == '\uFE0F' || r == '\u200B'
	})
}
