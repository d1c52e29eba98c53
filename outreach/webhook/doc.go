// Package webhook is the chat channel of outreach: notices posted to a group
// through an incoming-webhook robot of WeCom (企业微信群机器人), DingTalk
// (钉钉自定义机器人) or Slack. A chat channel reaches a group, not a
// resident: property staff, or a building's group that residents joined.
// Each daemon has at most one robot per provider, configured by URL:
//
//	OUTREACH_WECOM_WEBHOOK_URL     https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
//	OUTREACH_DINGTALK_WEBHOOK_URL  https://oapi.dingtalk.com/robot/send?access_token=...
//	OUTREACH_DINGTALK_SECRET       the robot's signing secret (SEC...), when it has one
//	OUTREACH_SLACK_WEBHOOK_URL     https://hooks.slack.com/services/...
//
// The URLs carry the robot's key, so they are outreach.Secret values and
// never appear in logs or errors.
//
// # Payloads
//
// The message goes as plain text (subject, blank line, text): WeCom and
// DingTalk {"msgtype":"text","text":{"content":...}}, Slack {"text":...}
// with &, < and > escaped as Slack asks, so that data in a notice cannot
// mention @channel or forge a link. A DingTalk robot with a signing secret
// gets timestamp and sign query parameters: sign is the base64 HMAC-SHA256,
// keyed with the secret, of timestamp (milliseconds) + "\n" + secret.
//
// # Errors
//
// A failed Send returns an *outreach.SendError, with the same retry rules
// as the other channels:
//
//	no answer: dial, reset, timeout      temporary  connection
//	HTTP 429                             temporary  http_429 (Retry-After honoured)
//	HTTP 5xx                             temporary  http_5xx
//	other HTTP 4xx                       permanent  http_4xx
//	HTTP 200, errcode busy/too fast      temporary  errcode_busy (WeCom -1, 45009, 45033; DingTalk -1, 130101)
//	HTTP 200, any other errcode != 0     permanent  errcode (Code holds it: 93000 bad key, 310000 bad sign, ...)
//	2xx whose body cannot be read        temporary  bad_response
//	text over the provider's limit       permanent  too_long
//	empty text                           permanent  invalid_message
//
// WeCom and DingTalk answer HTTP 200 to almost everything and put the
// verdict in the JSON body's errcode, so the body is always read.
package webhook
