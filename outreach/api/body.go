package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/outreach-dev/outreach/outreach/resident"
)

// MaxBodyBytes is the largest request body the API reads; a larger one is
// refused with 413. A resident profile is a few hundred bytes.
const MaxBodyBytes = 1 << 20

// apiError is an error response: {"error": "...", "field": "...",
// "problems": [...]}. Field names the request field at fault when there is
// one; problems lists every field of a profile that failed validation.
type apiError struct {
	status   int
	Message  string    `json:"error"`
	Field    string    `json:"field,omitempty"`
	Problems []problem `json:"problems,omitempty"`
}

type problem struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, field, format string, args ...any) *apiError {
	return &apiError{status: status, Field: field, Message: fmt.Sprintf(format, args...)}
}

// invalid turns a validation error of package resident into a 400 that
// names the fields.
func invalid(err error) (*apiError, bool) {
	var pe *resident.ProfileError
	if errors.As(err, &pe) {
		e := &apiError{status: http.StatusBadRequest, Message: pe.Error(), Field: pe.Problems[0].Field}
		for _, p := range pe.Problems {
			e.Problems = append(e.Problems, problem{Field: p.Field, Error: p.Err.Error()})
		}
		return e, true
	}
	var fe resident.FieldError
	if errors.As(err, &fe) {
		return &apiError{status: http.StatusBadRequest, Message: fe.Error(), Field: fe.Field}, true
	}
	return nil, false
}

// decodeBody reads a JSON request body into v: at most MaxBodyBytes, one
// object, no unknown fields (a typo must not be silently ignored). The
// media type must be JSON: application/json, or for PATCH also
// application/merge-patch+json (RFC 7396).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) *apiError {
	body, apiErr := readBody(w, r)
	if apiErr != nil {
		return apiErr
	}
	return decodeJSON(body, v, false)
}

// readBody checks the media type and reads at most MaxBodyBytes (413
// beyond).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !(r.Method == http.MethodPatch && mt == "application/merge-patch+json")) {
		return nil, errorf(http.StatusUnsupportedMediaType, "", "want Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "", "request body is larger than %d bytes", MaxBodyBytes)
		}
		return nil, errorf(http.StatusBadRequest, "", "read request body: %v", err)
	}
	return body, nil
}

// decodeJSON decodes one JSON object from body into v, refusing unknown
// fields and trailing data; numbers stay json.Number with useNumber (job
// data: an id of 18 digits must not become a float).
func decodeJSON(body []byte, v any, useNumber bool) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "", "invalid JSON: trailing data after the object")
	}
	return nil
}

// jsonError explains a decoding error, naming the field when it can.
func jsonError(err error) *apiError {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "", "empty request body; want a JSON object")
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, "", "invalid JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return errorf(http.StatusBadRequest, typeErr.Field, "%s: want a JSON %s, got %s", typeErr.Field, jsonType(typeErr.Type), typeErr.Value)
	case errors.As(err, &typeErr):
		return errorf(http.StatusBadRequest, "", "want a JSON object, got %s", typeErr.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return errorf(http.StatusBadRequest, field, "%s: unknown field", field)
	}
	return errorf(http.StatusBadRequest, "", "invalid JSON: %v", err)
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Bool:
		return "boolean"
	default:
		return "number"
	}
}

// writeError writes e as JSON with its status.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, e)
}
