package daemon

import (
	"context"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/templates"
)

// templateSource is where the daemon's templates come from.
func templateSource(cfg config.Config) templates.Source {
	return templates.Source{Dir: cfg.TemplatesDir, LocaleFallback: cfg.LocaleFallback}
}

// ReloadTemplates loads the templates again (OUTREACH_TEMPLATES_DIR as it
// is now, over the built-in set) and serves them from the next message on.
// An invalid folder is rejected with the file and line of each problem,
// and the set in service stays. The result is logged and counted in
// outreach_template_reloads_total. SIGHUP calls it (Options.Hangup).
func (d *Daemon) ReloadTemplates() error {
	s, err := d.templates.Reload()
	if err != nil {
		d.metrics.TemplateReloads.WithLabelValues(metrics.ReloadFailure).Inc()
		d.logger.Error("template reload rejected; the previous templates stay in service",
			"dir", d.templates.Source().Dir, "err", err)
		return err
	}
	d.metrics.TemplateReloads.WithLabelValues(metrics.ReloadSuccess).Inc()
	d.logTemplates("templates reloaded", s)
	return nil
}

// Templates returns the template set in service.
func (d *Daemon) Templates() *templates.Set { return d.templates.Current() }

// reloadOnHangup reloads the templates on each hangup signal until ctx ends.
func (d *Daemon) reloadOnHangup(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.hangup:
			_ = d.ReloadTemplates() // logged and counted there
		}
	}
}

// logTemplates logs what set s holds and where it came from.
func (d *Daemon) logTemplates(msg string, s *templates.Set) {
	src := d.templates.Source()
	dir := src.Dir
	if dir == "" {
		dir = "(none: built-in only)"
	}
	d.logger.Info(msg, "templates", len(s.Names()), "dir", dir, "digest", s.Digest(), "locale_fallback", s.LocaleFallback())
}
