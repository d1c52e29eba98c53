package daemon

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach/config"
)

// serveHTTP serves the API, the webhooks and /metrics on the listener:
// HTTPS when a certificate is configured.
func (d *Daemon) serveHTTP() error {
	if d.http.TLSConfig != nil {
		return d.http.ServeTLS(d.listener, "", "")
	}
	return d.http.Serve(d.listener)
}

// tlsConfig serves the certificate of OUTREACH_TLS_CERT/KEY, TLS 1.2 at
// least. The files are read again when they change (certificates are
// renewed in place, e.g. by certbot or a Kubernetes secret), checked at
// most once a minute; a pair that no longer loads keeps the last good one
// and is logged.
func tlsConfig(c config.TLS, logger *slog.Logger) (*tls.Config, error) {
	r := &certReloader{files: c, logger: logger}
	if err := r.load(); err != nil {
		return nil, fmt.Errorf("OUTREACH_TLS_CERT, OUTREACH_TLS_KEY: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get}, nil
}

type certReloader struct {
	files  config.TLS
	logger *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

func (r *certReloader) load() error {
	cert, err := tls.LoadX509KeyPair(r.files.CertFile, r.files.KeyFile)
	if err != nil {
		return err
	}
	r.cert = &cert
	if fi, err := os.Stat(r.files.CertFile); err == nil {
		r.modTime = fi.ModTime()
	}
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) > time.Minute {
		r.checked = time.Now()
		if fi, err := os.Stat(r.files.CertFile); err == nil && !fi.ModTime().Equal(r.modTime) {
			if err := r.load(); err != nil {
				r.logger.Error("TLS certificate changed but does not load; serving the previous one", "err", err)
			} else {
				r.logger.Info("TLS certificate reloaded", "file", r.files.CertFile)
			}
		}
	}
	return r.cert, nil
}
