package resident

import (
	"errors"
	"strconv"
)

// Errors that RowError.Err wraps, for callers that act on the kind of problem.
var (
	// ErrRequired: a required value is empty.
	ErrRequired = errors.New("required")
	// ErrDuplicateID: the id was already used on an earlier line of the file.
	ErrDuplicateID = errors.New("duplicate id")
	// ErrFieldCount: the row does not have as many fields as the header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrQuoting: the CSV quoting of the row is broken.
	ErrQuoting = errors.New("broken CSV quoting")
	// ErrEncoding: a cell is not text in the file's encoding.
	ErrEncoding = errors.New("bad encoding")
	// ErrInvalidEmail: the email cell is not an email address.
	ErrInvalidEmail = errors.New("not a valid email address")
	// ErrUnknownChannel: the channels cell names a channel that does not exist.
	ErrUnknownChannel = errors.New("unknown channel")
	// ErrUnnamedColumn: a cell has a value in a column the header leaves unnamed.
	ErrUnnamedColumn = errors.New("has a value but no name in the header")
)

// reasons are the errors Reason knows, each a kind of problem.
var reasons = []error{
	ErrRequired, ErrDuplicateID, ErrFieldCount, ErrQuoting, ErrEncoding,
	ErrInvalidPhone, ErrInvalidEmail, ErrInvalidLocale, ErrUnknownChannel, ErrUnnamedColumn,
}

// RowError is a problem with one row of the file. The row is left out of
// Result.Residents; the other rows are kept. A row with several problems
// gives several RowErrors with the same Line.
//
// Error strings name the column and the problem but never contain an email
// address or a phone number, so they can be logged.
type RowError struct {
	// Line is the physical line of the file where the row starts (the
	// header is line 1; a quoted field with a line break makes a row span
	// several lines).
	Line int
	// ID is the row's id when it has one.
	ID string
	// Field is the column at fault as the header names it in lower case
	// ("phone"), "email/phone" when the row has neither, or "" when the
	// problem is the row as a whole (field count, CSV quoting).
	Field string
	Err   error
}

// Error formats the problem as "line 7: phone: ...".
func (e RowError) Error() string {
	s := "line " + strconv.Itoa(e.Line) + ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Err.Error()
}

// Reason is the kind of problem, without the details of this row: the
// message of the sentinel error it wraps ("invalid phone number"), or the
// whole message when it wraps none. A report groups rows by Field and Reason.
func (e RowError) Reason() string {
	for _, r := range reasons {
		if errors.Is(e.Err, r) {
			return r.Error()
		}
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e RowError) Unwrap() error { return e.Err }
