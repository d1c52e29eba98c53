package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of the /v1/ API, served at
// GET /v1/openapi.json without authentication (it describes, it holds no
// data). openapi_test.go keeps it true: every route of Routes is in it
// with the same scopes (x-scopes), and the handlers' answers validate
// against it.
//
//go:embed openapi.json
var OpenAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPI)
}
