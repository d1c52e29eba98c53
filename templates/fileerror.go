package templates

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
)

// FileError is a problem with one file or folder of a template set, with
// the line (and column) where it is when that is known. Load and Overlay
// return every problem they find, joined (errors.Join); each is a
// *FileError, so an operator sees "path:line: what is wrong" for all of
// them at once.
type FileError struct {
	// Path is the file or folder, slash-separated and relative to the root
	// of the set, or joined with the folder's path by LoadDir/OverlayDir.
	Path string
	// Line and Column are 1-based; 0 when the problem is not on one line
	// (a missing file, a misnamed folder).
	Line, Column int
	Err          error

	// builtin marks a problem in a built-in file (an override's sample
	// that a built-in template it sits beside cannot render): its path is
	// not in the operator's folder.
	builtin bool
}

func (e *FileError) Error() string {
	msg := stripTemplatePrefix(e.Err.Error())
	if e.builtin {
		msg = "(a built-in template) " + msg
	}
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, msg)
}

func (e *FileError) Unwrap() error { return e.Err }

// FileErrors lists the *FileError values in err, in order.
func FileErrors(err error) []*FileError {
	var out []*FileError
	visitFileErrors(err, func(fe *FileError) { out = append(out, fe) })
	return out
}

func visitFileErrors(err error, fn func(*FileError)) {
	switch e := err.(type) {
	case nil:
	case *FileError:
		fn(e)
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			visitFileErrors(inner, fn)
		}
	case interface{ Unwrap() error }:
		visitFileErrors(e.Unwrap(), fn)
	}
}

// rooted returns err with the path of each *FileError in it joined to
// root, a folder on disk.
func rooted(err error, root string) error {
	visitFileErrors(err, func(fe *FileError) {
		if !fe.builtin {
			fe.Path = filepath.Join(root, filepath.FromSlash(fe.Path))
		}
	})
	return err
}

// templatePos finds where text/template and html/template place an error:
//
//	template: t/zh-CN/sms.txt.tmpl:3: unclosed action                 (parse)
//	template: t/zh-CN/sms.txt.tmpl:3:14: executing "..." at <...>: ... (execute)
//	html/template:t/zh-CN/body.html.tmpl:7:20: ...                    (escape)
//
// Template names are slash-separated paths without colons (see validName),
// so the name ends at the first colon.
var templatePos = regexp.MustCompile(`(?:html/)?template: ?([^:\s]+):(\d+)(?::(\d+))?: `)

// templateError turns an error of the template file at path into a
// *FileError at the line and column the error names (the file's own, or
// that of a file it reached by name).
func templateError(path string, err error) *FileError {
	fe := &FileError{Path: path, Err: err}
	msg := err.Error()
	if mv, ok := errors.AsType[*MissingVariableError](err); ok && mv.Err != nil {
		msg = mv.Err.Error() // its own message names the variable, not the line
	}
	if m := templatePos.FindStringSubmatch(msg); m != nil {
		fe.Path = m[1]
		fe.Line, _ = strconv.Atoi(m[2])
		fe.Column, _ = strconv.Atoi(m[3])
	}
	return fe
}

// stripTemplatePrefix drops the position that a template error repeats
// in its text, which FileError prints once in front.
func stripTemplatePrefix(msg string) string {
	if loc := templatePos.FindStringIndex(msg); loc != nil {
		return msg[:loc[0]] + msg[loc[1]:]
	}
	return msg
}

// jsonError places a JSON decoding error of src in path at its line.
func jsonError(path string, src []byte, offset int64, err error) *FileError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
	}
	offset = min(max(offset, 0), int64(len(src)))
	line := 1 + bytes.Count(src[:offset], []byte("\n"))
	return &FileError{Path: path, Line: line, Err: err}
}
