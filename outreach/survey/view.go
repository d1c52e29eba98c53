package survey

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// view is what the survey page shows.
type view struct {
	Survey  outreach.Survey
	Estate  string
	Message string // a msg* key: the page says only that
	Form    bool   // the score and comment form
	CSRF    string
	Comment string // what the resident typed, shown again after an error
	Thanks  bool
}

// Messages of the page, by key.
const (
	msgInvalid   = "invalid"
	msgClosed    = "closed"
	msgTrouble   = "trouble"
	msgPickScore = "pick"
	msgTooLong   = "long"
)

// words are the page's texts per language.
var words = map[string]map[string]string{
	"zh": {
		"title": "服务评价", "office": "物业服务中心", "question": "您对本次服务满意吗？",
		"scale": "5分为非常满意，1分为非常不满意", "comment": "您的意见（选填）", "submit": "提交",
		"thanks": "感谢您的评价！", "thanks2": "您的意见我们已经收到。",
		"chosen": "您的评分", "workorder": "工单",
		msgInvalid: "链接无效。请使用邮件中的链接，或直接回复邮件。", msgClosed: "本次调查已结束，感谢您的关注。",
		msgTrouble: "系统繁忙，请稍后再试。", msgPickScore: "请选择1到5分。", msgTooLong: "意见太长，请控制在1000字以内。",
		"s1": "非常不满意", "s2": "不满意", "s3": "一般", "s4": "满意", "s5": "非常满意",
	},
	"en": {
		"title": "How did we do?", "office": "Property Management Office", "question": "How satisfied are you with the service?",
		"scale": "5 = very satisfied, 1 = very dissatisfied", "comment": "Your comments (optional)", "submit": "Send",
		"thanks": "Thank you for your feedback!", "thanks2": "We have received your answer.",
		"chosen": "Your score", "workorder": "Work order",
		msgInvalid: "This link is not valid. Please use the link in the email, or reply to the email.", msgClosed: "This survey has closed. Thank you.",
		msgTrouble: "Something went wrong on our side. Please try again later.", msgPickScore: "Please choose a score from 1 to 5.", msgTooLong: "Your comment is too long: at most 1000 characters, please.",
		"s1": "very dissatisfied", "s2": "dissatisfied", "s3": "neutral", "s4": "satisfied", "s5": "very satisfied",
	},
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.W.title}}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:-apple-system,'PingFang SC','Microsoft YaHei',Helvetica,Arial,sans-serif;font-size:18px;line-height:1.6;color:#1f2933;">
<main style="max-width:480px;margin:0 auto;padding:16px;">
<div style="background:#fff;border-radius:10px;padding:20px;">
<p style="margin:0 0 4px;font-size:14px;color:#047857;font-weight:bold;">{{with .Estate}}{{.}} · {{end}}{{.W.office}}</p>
<h1 style="margin:0 0 12px;font-size:22px;">{{.W.title}}</h1>
{{- with .V.Survey.Service}}<p style="margin:0 0 4px;">{{.}}</p>{{end}}
{{- with .V.Survey.WorkOrder}}<p style="margin:0 0 12px;font-size:14px;color:#6b7280;">{{$.W.workorder}} {{.}}</p>{{end}}
{{- if .Msg}}<p role="alert" style="margin:12px 0;padding:12px;background:#fef2f2;border-radius:6px;">{{.Msg}}</p>{{end}}
{{- if .V.Thanks}}
<p style="margin:16px 0 8px;font-size:20px;font-weight:bold;">{{.W.thanks}}</p>
<p style="margin:0 0 8px;">{{.W.chosen}}: {{.V.Survey.Score}} / 5</p>
<p style="margin:0;">{{.W.thanks2}}</p>
{{- else if .V.Form}}
<form method="post" style="margin:16px 0 0;">
<input type="hidden" name="csrf" value="{{.V.CSRF}}">
<fieldset style="border:0;margin:0;padding:0;">
<legend style="margin:0 0 4px;font-weight:bold;">{{.W.question}}</legend>
<p style="margin:0 0 12px;font-size:14px;color:#6b7280;">{{.W.scale}}</p>
{{- range .Scores}}
<label style="display:block;margin:0 0 8px;padding:12px;border:2px solid {{if .Chosen}}#047857{{else}}#d1d5db{{end}};border-radius:8px;"><input type="radio" name="score" value="{{.N}}"{{if .Chosen}} checked{{end}} style="width:22px;height:22px;vertical-align:middle;"> <strong>{{.N}}</strong> {{.Label}}</label>
{{- end}}
</fieldset>
<label for="comment" style="display:block;margin:16px 0 4px;">{{.W.comment}}</label>
<textarea id="comment" name="comment" rows="4" maxlength="1000" style="width:100%;box-sizing:border-box;font-size:16px;padding:8px;border:1px solid #d1d5db;border-radius:6px;">{{.Comment}}</textarea>
<button type="submit" style="display:block;width:100%;margin:16px 0 0;padding:14px;font-size:18px;background:#047857;color:#fff;border:0;border-radius:8px;">{{.W.submit}}</button>
</form>
{{- end}}
</div>
</main>
</body>
</html>
`))

type scoreChoice struct {
	N      int
	Label  string
	Chosen bool
}

// show writes the page with status.
func (s *Service) show(w http.ResponseWriter, r *http.Request, status int, v view) {
	lang := "zh"
	if v.Survey.Locale != "" && !strings.HasPrefix(v.Survey.Locale, "zh") {
		lang = "en"
	}
	wd := words[lang]
	data := struct {
		Lang, Estate, Msg, Comment string
		W                          map[string]string
		V                          view
		Scores                     []scoreChoice
	}{Lang: map[string]string{"zh": "zh-CN", "en": "en"}[lang], Estate: v.Estate, Msg: wd[v.Message], Comment: v.Comment, W: wd, V: v}
	if v.Message == msgInvalid || v.Message == msgTrouble {
		data.V = view{} // nothing of the survey on a page that did not prove itself
		data.Estate = ""
	}
	for n := MaxScore; n >= MinScore; n-- {
		data.Scores = append(data.Scores, scoreChoice{N: n, Label: wd["s"+string(rune('0'+n))], Chosen: v.Survey.Score == n})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, data); err != nil {
		s.logger().Warn("survey page: render", "err", err)
	}
}
