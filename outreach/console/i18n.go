package console

import (
	"fmt"
	"net/http"
	"slices"

	"golang.org/x/text/language"
)

// languages the console speaks; the first is the fallback.
var languages = []string{"en", "zh-CN"}

var matcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese})

// langOf is the request's language: the switch's cookie, else the best
// match of Accept-Language.
func langOf(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && slices.Contains(languages, ck.Value) {
		return ck.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) == 0 {
		return languages[0]
	}
	_, i, _ := matcher.Match(tags...)
	return languages[i]
}

// translate is the text of key in lang (fmt.Sprintf'd with args), the
// English text when lang lacks it, the key itself when both do.
func translate(lang, key string, args ...any) string {
	s, ok := messages[lang][key]
	if !ok {
		if s, ok = messages["en"][key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// messages are the console's texts; messages_test.go checks that both
// languages have every key.
var messages = map[string]map[string]string{
	"en": {
		"app":                  "Outreach console",
		"nav.archive":          "Archive",
		"nav.residents":        "Residents",
		"nav.users":            "Users",
		"nav.audit":            "Audit log",
		"nav.logout":           "Sign out",
		"nav.lang":             "中文",
		"nav.langcode":         "zh-CN",
		"login.title":          "Sign in",
		"login.login":          "Login",
		"login.password":       "Password",
		"login.submit":         "Sign in",
		"login.wrong":          "Wrong login or password.",
		"login.expired":        "The form expired; please sign in again.",
		"login.throttled":      "Too many failed attempts. Try again in %d minutes.",
		"login.link":           "This sign-in link is used or expired.",
		"archive.title":        "Archive",
		"archive.search":       "Search",
		"archive.none":         "No messages match.",
		"archive.next":         "Next page",
		"archive.first":        "First page",
		"field.estate":         "Estate",
		"field.building":       "Building",
		"field.unit":           "Unit",
		"field.resident":       "Resident",
		"field.kind":           "Kind",
		"field.channel":        "Channel",
		"field.status":         "Status",
		"field.since":          "Since",
		"field.tag":            "Tag",
		"field.name":           "Name",
		"field.phone":          "Phone",
		"field.email":          "Email",
		"field.locale":         "Language",
		"field.time":           "Time",
		"field.subject":        "Subject",
		"field.body":           "Text",
		"field.error":          "Error",
		"field.policy":         "Policy",
		"field.campaign":       "Campaign",
		"field.job":            "Job",
		"field.attempts":       "Attempts",
		"field.sent":           "Sent",
		"field.note":           "Follow-up note",
		"field.tags":           "Tags",
		"field.optouts":        "Opted out of",
		"field.role":           "Role",
		"field.login":          "Login",
		"field.password":       "Password (10+ characters)",
		"field.state":          "State",
		"field.event":          "Event",
		"field.detail":         "Detail",
		"field.actor":          "Who",
		"field.action":         "What",
		"field.target":         "Of",
		"field.addr":           "Address",
		"any":                  "(any)",
		"all":                  "all",
		"delivery.title":       "Message",
		"delivery.history":     "History",
		"delivery.purged":      "The text was purged under the retention policy.",
		"delivery.note.save":   "Save the note",
		"delivery.noted":       "The note is saved.",
		"delivery.error.note":  "At most 2000 characters.",
		"archive.export":       "Download CSV",
		"archive.export.excel": "CSV for Excel",
		"residents.title":      "Residents",
		"residents.none":       "No residents match.",
		"resident.title":       "Resident",
		"resident.timeline":    "Communication history",
		"resident.reply":       "Reply",
		"resident.survey":      "Satisfaction survey",
		"resident.score":       "%d of 5",
		"resident.empty":       "Nothing sent or received yet.",
		"resident.more":        "Only the newest 100 are shown; search the archive for older ones.",
		"resident.archive":     "All messages in the archive",
		"users.title":          "Users",
		"users.add":            "Add a user",
		"users.added":          "Added %s.",
		"users.disable":        "Disable",
		"users.disabled":       "disabled",
		"users.active":         "active",
		"users.error.login":    "1-64 lower-case letters, digits, . _ - or @.",
		"users.error.password": "10 to 72 bytes.",
		"users.error.exists":   "This login is taken.",
		"users.error.self":     "You cannot disable yourself.",
		"audit.title":          "Audit log",
		"audit.older":          "Older",
		"error.title":          "Error",
		"error.notfound":       "Not found.",
		"error.forbidden":      "Your role may not open this page.",
		"error.csrf":           "The form expired or did not come from this console. Reload the page and try again.",
		"error.internal":       "Something went wrong on our side; it has been logged.",
		"error.form":           "The form could not be read.",
		"error.choice":         "Not a valid choice.",
		"error.date":           "A date as 2026-12-31.",
		"error.cursor":         "This page link is broken; start from the first page.",
		"role.admin":           "admin",
		"role.manager":         "manager",
		"role.staff":           "staff",
		"role.auditor":         "auditor",
	},
	"zh-CN": {
		"app":                  "物业通知控制台",
		"nav.archive":          "发送记录",
		"nav.residents":        "住户",
		"nav.users":            "用户",
		"nav.audit":            "操作日志",
		"nav.logout":           "退出",
		"nav.lang":             "English",
		"nav.langcode":         "en",
		"login.title":          "登录",
		"login.login":          "账号",
		"login.password":       "密码",
		"login.submit":         "登录",
		"login.wrong":          "账号或密码错误。",
		"login.expired":        "表单已过期，请重新登录。",
		"login.throttled":      "失败次数过多，请 %d 分钟后再试。",
		"login.link":           "该登录链接已使用或已过期。",
		"archive.title":        "发送记录",
		"archive.search":       "查询",
		"archive.none":         "没有符合条件的消息。",
		"archive.next":         "下一页",
		"archive.first":        "第一页",
		"field.estate":         "小区",
		"field.building":       "楼栋",
		"field.unit":           "房号",
		"field.resident":       "住户",
		"field.kind":           "类型",
		"field.channel":        "渠道",
		"field.status":         "状态",
		"field.since":          "起始日期",
		"field.tag":            "标签",
		"field.name":           "姓名",
		"field.phone":          "电话",
		"field.email":          "邮箱",
		"field.locale":         "语言",
		"field.time":           "时间",
		"field.subject":        "标题",
		"field.body":           "内容",
		"field.error":          "错误",
		"field.policy":         "策略",
		"field.campaign":       "活动",
		"field.job":            "任务",
		"field.attempts":       "尝试次数",
		"field.sent":           "发送时间",
		"field.note":           "跟进备注",
		"field.tags":           "标签",
		"field.optouts":        "已退订",
		"field.role":           "角色",
		"field.login":          "账号",
		"field.password":       "密码（至少 10 个字符）",
		"field.state":          "状态",
		"field.event":          "事件",
		"field.detail":         "详情",
		"field.actor":          "操作人",
		"field.action":         "操作",
		"field.target":         "对象",
		"field.addr":           "地址",
		"any":                  "（全部）",
		"all":                  "全部",
		"delivery.title":       "消息",
		"delivery.history":     "处理记录",
		"delivery.purged":      "根据保留策略，正文已清除。",
		"delivery.note.save":   "保存备注",
		"delivery.noted":       "备注已保存。",
		"delivery.error.note":  "最多 2000 个字符。",
		"archive.export":       "下载 CSV",
		"archive.export.excel": "CSV（Excel 用）",
		"residents.title":      "住户",
		"residents.none":       "没有符合条件的住户。",
		"resident.title":       "住户",
		"resident.timeline":    "沟通记录",
		"resident.reply":       "回复",
		"resident.survey":      "满意度回访",
		"resident.score":       "%d 分（满分 5）",
		"resident.empty":       "还没有发送或收到任何消息。",
		"resident.more":        "只显示最近 100 条；更早的请在发送记录中查询。",
		"resident.archive":     "在发送记录中查看全部",
		"users.title":          "用户",
		"users.add":            "添加用户",
		"users.added":          "已添加 %s。",
		"users.disable":        "停用",
		"users.disabled":       "已停用",
		"users.active":         "正常",
		"users.error.login":    "1-64 位小写字母、数字、. _ - 或 @。",
		"users.error.password": "10 到 72 字节。",
		"users.error.exists":   "该账号已存在。",
		"users.error.self":     "不能停用自己。",
		"audit.title":          "操作日志",
		"audit.older":          "更早",
		"error.title":          "出错了",
		"error.notfound":       "未找到。",
		"error.forbidden":      "您的角色无权打开此页面。",
		"error.csrf":           "表单已过期或并非来自本控制台。请刷新页面后重试。",
		"error.internal":       "服务器出错，已记录。",
		"error.form":           "无法读取表单。",
		"error.choice":         "不是有效的选项。",
		"error.date":           "请输入日期，例如 2026-12-31。",
		"error.cursor":         "分页链接无效，请从第一页开始。",
		"role.admin":           "管理员",
		"role.manager":         "物业经理",
		"role.staff":           "客服",
		"role.auditor":         "审计",
	},
}
