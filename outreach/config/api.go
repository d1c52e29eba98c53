package config

import (
	"crypto/tls"
	"fmt"
	"strings"
)

var apiVars = []Var{
	{"OUTREACH_TLS_CERT", "", "PEM certificate (chain) for HTTPS on OUTREACH_HTTP_ADDR; with OUTREACH_TLS_KEY (webhooks and the console need https in production)"},
	{"OUTREACH_TLS_KEY", "", "PEM private key of OUTREACH_TLS_CERT"},
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

// TLS is the certificate the HTTP listener serves with; zero: plain HTTP
// (behind a TLS-terminating proxy, or in development).
type TLS struct {
	CertFile string // OUTREACH_TLS_CERT
	KeyFile  string // OUTREACH_TLS_KEY
}

// Enabled reports whether the listener serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// loadTLS reads OUTREACH_TLS_CERT and OUTREACH_TLS_KEY: both or neither,
// and a pair that loads.
func loadTLS(get func(name, def string) string, errs *[]error) TLS {
	t := TLS{CertFile: get("OUTREACH_TLS_CERT", ""), KeyFile: get("OUTREACH_TLS_KEY", "")}
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "":
		*errs = append(*errs, fmt.Errorf("OUTREACH_TLS_CERT: required when OUTREACH_TLS_KEY is set"))
	case t.KeyFile == "":
		*errs = append(*errs, fmt.Errorf("OUTREACH_TLS_KEY: required when OUTREACH_TLS_CERT is set"))
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			*errs = append(*errs, fmt.Errorf("OUTREACH_TLS_CERT, OUTREACH_TLS_KEY: %w", err))
		}
	}
	return t
}
