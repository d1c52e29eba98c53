package config

import (
	"fmt"
	"strings"
)

var apiVars = []Var{
	{"OUTREACH_API_AUTH", "on (dev: off)", "on: every /v1/ route but /v1/openapi.json needs a bearer token (`outreach tokens create`); off: no authentication, for development only"},
}

// loadAPIAuth reads OUTREACH_API_AUTH: on (the default) or off.
func loadAPIAuth(get func(name, def string) string, errs *[]error) bool {
	switch v := strings.ToLower(get("OUTREACH_API_AUTH", "on")); v {
	case "on", "true", "1":
		return true
	case "off", "false", "0":
		return false
	default:
		*errs = append(*errs, fmt.Errorf("OUTREACH_API_AUTH: want on or off, got %q", v))
		return true
	}
}
