package config

import "crypto/tls"

// TLS is the certificate the HTTP listener serves with; zero: plain HTTP
// (behind a TLS-terminating proxy, or in development).
type TLS struct {
	CertFile string `env:"OUTREACH_TLS_CERT" group:"http" doc:"(plain HTTP)" help:"PEM certificate (chain): the listener on OUTREACH_HTTP_ADDR speaks HTTPS only (TLS 1.2 at least); the files are read again when the certificate changes (checked at most once a minute), so a renewal needs no restart. Without it run behind a TLS-terminating proxy: Twilio's webhooks and one-click unsubscribe need https"`
	KeyFile  string `env:"OUTREACH_TLS_KEY" group:"http" doc:"(required with OUTREACH_TLS_CERT)" help:"PEM private key of OUTREACH_TLS_CERT"`
}

// Enabled reports whether the listener serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// validate checks OUTREACH_TLS_CERT and OUTREACH_TLS_KEY: both or
// neither, and a pair that loads.
func (t TLS) validate(r *report) {
	if !r.wants(GroupHTTP) {
		return
	}
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "":
		r.add("OUTREACH_TLS_CERT", "required when OUTREACH_TLS_KEY is set")
	case t.KeyFile == "":
		r.add("OUTREACH_TLS_KEY", "required when OUTREACH_TLS_CERT is set")
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			r.addErr("OUTREACH_TLS_CERT, OUTREACH_TLS_KEY", err)
		}
	}
}
