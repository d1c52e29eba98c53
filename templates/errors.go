package templates

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrUnknownTemplate is returned (wrapped) when no template answers a kind
// or a template name.
var ErrUnknownTemplate = errors.New("unknown template")

// MissingVariableError is returned when a template needs a value that the
// job or the resident lacks.
type MissingVariableError struct {
	// Variable names what is missing: "start" for .Data.start (job data is
	// named by its key, as the job's sender wrote it), "Resident.Building"
	// or "Resident.Attributes.floor" for resident fields.
	Variable string
	// Where is template/locale/channel, e.g. "maintenance_notice/en/email".
	Where string
	// Err is text/template's own error, with the file, line and column.
	Err error
}

func (e *MissingVariableError) Error() string {
	return fmt.Sprintf("missing variable %q in %s", e.Variable, e.Where)
}

func (e *MissingVariableError) Unwrap() error { return e.Err }

// text/template reports a missing map key (with missingkey=error) as
//
//	template: NAME:LINE:COL: executing "NAME" at <.Data.start>: map has no entry for key "start"
//
// These patterns read that message; TestMissingVariableNames pins them to
// the Go release.
var (
	missingKeyRE = regexp.MustCompile(`map has no entry for key ("(?:[^"\\]|\\.)*")`)
	contextRE    = regexp.MustCompile(`at <([^>]*)>: map has no entry for key`)
)

// execError turns an execution error of the template at where into a
// *MissingVariableError when it is about a missing key.
func execError(err error, where string) error {
	msg := err.Error()
	m := missingKeyRE.FindStringSubmatch(msg)
	if m == nil {
		return fmt.Errorf("render %s: %w", where, err)
	}
	key, uerr := strconv.Unquote(m[1])
	if uerr != nil {
		key = m[1]
	}
	var ctx string
	if c := contextRE.FindStringSubmatch(msg); c != nil {
		ctx = c[1]
	}
	return &MissingVariableError{Variable: variableName(ctx, key), Where: where, Err: err}
}

// variableName names the missing key as its context shows it: the field
// chain without its leading dot, job data by its bare key.
func variableName(ctx, key string) string {
	if !strings.HasPrefix(ctx, ".") || !strings.HasSuffix(ctx, "."+key) || strings.ContainsAny(ctx, " ()$|") {
		return key
	}
	if v, ok := strings.CutPrefix(ctx, ".Data."); ok {
		return v
	}
	return ctx[1:]
}
