package api

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/outreach-dev/outreach/outreach"
)

// unsubscribePage is what a person sees who opens the link in a browser:
// a button (GET must not unsubscribe: mail scanners open every link), and
// after the POST a confirmation. Mail clients that support RFC 8058 POST
// "List-Unsubscribe=One-Click" directly and ignore the page.
var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>退订 Unsubscribe</title></head>
<body style="font-family:-apple-system,'PingFang SC','Microsoft YaHei',Helvetica,Arial,sans-serif;max-width:32em;margin:3em auto;padding:0 1em;line-height:1.6">
{{- if .Invalid}}
<p>此退订链接无效或已损坏。<br>This unsubscribe link is not valid.</p>
{{- else if .Done}}
<p>您已退订此类邮件（{{.Kind}}），维修通知等重要消息仍会照常发送。<br>
You are unsubscribed from these emails ({{.Kind}}). Important notices such as maintenance still reach you.</p>
{{- else}}
<p>不再接收此类邮件（{{.Kind}}）？<br>Stop receiving these emails ({{.Kind}})?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" style="font-size:1.1em;padding:.5em 1.5em">退订 Unsubscribe</button></form>
{{- end}}
</body></html>
`))

type unsubscribeView struct {
	Invalid, Done bool
	Kind          outreach.Kind
}

// unsubscribe serves /unsubscribe/{token}: GET shows a confirmation
// button, POST (the button, or a mail client's one-click request) records
// the opt-out of the token's kind. The token's signature is the only
// credential; a forged or damaged token gets 400 and changes nothing.
func (wh *Webhooks) unsubscribe(log *slog.Logger) http.HandlerFunc {
	const endpoint = "unsubscribe"
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
		req, err := wh.Unsubscribe.Verify(r.PathValue("token"))
		if err != nil {
			wh.count(endpoint, "bad_request")
			log.Warn("refused an unsubscribe link", "err", err)
			w.WriteHeader(http.StatusBadRequest)
			_ = unsubscribePage.Execute(w, unsubscribeView{Invalid: true})
			return
		}
		if r.Method == http.MethodPost {
			// RFC 8058's one-click body (List-Unsubscribe=One-Click), or
			// the page's button: read, bounded, and not needed.
			if status, err := readForm(w, r); err != nil {
				wh.count(endpoint, "bad_request")
				log.Warn("refused an unsubscribe request", "err", err)
				http.Error(w, err.Error(), status)
				return
			}
		}
		if r.Method != http.MethodPost {
			wh.count(endpoint, "ok")
			_ = unsubscribePage.Execute(w, unsubscribeView{Kind: req.Kind})
			return
		}
		err = wh.OptOut(r.Context(), req.ResidentID, "", req.Kind, true)
		switch {
		case errors.Is(err, outreach.ErrNotFound):
			// The resident has left the directory: nothing to stop.
			log.Info("unsubscribe of a resident no longer in the directory", "resident", req.ResidentID)
		case err != nil:
			wh.count(endpoint, "error")
			log.Error("record an unsubscribe failed", "resident", req.ResidentID, "err", err)
			http.Error(w, "please try again later", http.StatusServiceUnavailable)
			return
		default:
			wh.Metrics.OptOuts.WithLabelValues(string(req.Channel), "unsubscribe_link", "out").Inc()
			log.Info("resident unsubscribed", "resident", req.ResidentID, "kind", req.Kind)
		}
		wh.count(endpoint, "ok")
		_ = unsubscribePage.Execute(w, unsubscribeView{Done: true, Kind: req.Kind})
	}
}
