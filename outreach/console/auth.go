package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// The cookies: the session's secret (the store keeps only its hash), the
// login form's CSRF token (before there is a session), the language.
const (
	sessionCookie = "outreach_session"
	loginCookie   = "outreach_login"
	langCookie    = "outreach_lang"
	cookiePath    = "/console/"
	// touchEvery: a session's LastSeenAt is written at most this often.
	touchEvery = time.Minute
	// linkTTL: how long a one-time login link (LoginLink) works.
	linkTTL = 15 * time.Minute
)

// session is a request's signed-in user.
type session struct {
	outreach.ConsoleSession
	User outreach.ConsoleUser
}

type sessionKey struct{}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// clientAddr is the request's client address (the connection's: the
// console does not trust X-Forwarded-For).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// currentSession reads the session cookie: nil when there is none, it is
// unknown or expired (then deleted), or its user is disabled.
func (c *Console) currentSession(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	hash := outreach.HashToken(ck.Value)
	cs, err := c.cfg.Store.ConsoleSession(ctx, hash)
	if errors.Is(err, outreach.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.now()
	if cs.Expired(now, c.cfg.IdleTimeout, c.cfg.MaxAge) {
		if err := c.cfg.Store.DeleteConsoleSession(ctx, hash); err != nil {
			return nil, err
		}
		return nil, nil
	}
	u, err := c.cfg.Store.ConsoleUser(ctx, cs.UserID)
	if errors.Is(err, outreach.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, nil
	}
	if now.Sub(cs.LastSeenAt) >= touchEvery {
		if err := c.cfg.Store.TouchConsoleSession(ctx, hash, now); err != nil && !errors.Is(err, outreach.ErrNotFound) {
			return nil, err
		}
	}
	return &session{ConsoleSession: cs, User: u}, nil
}

// guard serves page p: public pages as they are; the others only to a
// signed-in user of one of p's roles (others get 403), with the CSRF
// token checked on every request that changes something.
func (c *Console) guard(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Public {
			p.serve(c, w, r)
			return
		}
		s, err := c.currentSession(r)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		if s == nil {
			c.toLogin(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !c.checkCSRF(r, s.CSRF) {
			c.errorPage(w, r, http.StatusForbidden, "error.csrf")
			return
		}
		if !p.allows(s.User) {
			c.errorPage(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		p.serve(c, w, r)
	})
}

// checkCSRF accepts a state-changing request only with the form's csrf
// field equal to want and, when the browser says where it comes from
// (Origin), from this host.
func (c *Console) checkCSRF(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.PostFormValue("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// toLogin sends a visitor without a session to the login page, to come
// back afterwards (htmx follows HX-Redirect).
func (c *Console) toLogin(w http.ResponseWriter, r *http.Request) {
	next := ""
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	target := "/console/login"
	if next != "" && next != "/console/" {
		target += "?next=" + url.QueryEscape(next)
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localNext is next when it is a path of the console (no open redirect),
// else the console's start.
func localNext(next string) string {
	if strings.HasPrefix(next, "/console/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/console/"
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: cookiePath, HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteLaxMode}
	switch {
	case maxAge < 0:
		ck.MaxAge = -1
	case maxAge > 0:
		ck.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, ck)
}

type loginView struct {
	Login, Next, Token string
	Error              string
	Wait               int // minutes, when throttled
}

// loginForm shows the sign-in form, with a fresh CSRF cookie for it.
func loginForm(c *Console, w http.ResponseWriter, r *http.Request) {
	if s, err := c.currentSession(r); err == nil && s != nil {
		http.Redirect(w, r, localNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, loginView{Next: r.URL.Query().Get("next")})
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.Token = randomToken()
	c.setCookie(w, loginCookie, v.Token, time.Hour)
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, status, "login", "login.title", v)
}

// login signs in: the form's token must match its cookie (login CSRF),
// neither the account nor the address may be throttled, and the password
// must be the user's (an unknown or disabled user takes as long and reads
// the same).
func login(c *Console, w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := c.now()
	addr := clientAddr(r)
	loginName := strings.ToLower(strings.TrimSpace(r.PostFormValue("login")))
	v := loginView{Login: loginName, Next: r.PostFormValue("next")}
	if ck, err := r.Cookie(loginCookie); err != nil || !c.checkCSRF(r, ck.Value) {
		v.Error = "login.expired"
		c.showLogin(w, r, http.StatusForbidden, v)
		return
	}
	wait := max(c.throttle.wait("login:"+loginName, loginFailures, now), c.throttle.wait("addr:"+addr, addrFailures, now))
	if wait > 0 {
		v.Error, v.Wait = "login.throttled", int((wait+time.Minute-1)/time.Minute)
		c.audit(ctx, outreach.AuditEntry{Actor: auditLogin(loginName), Action: "login_throttled", Addr: addr})
		c.showLogin(w, r, http.StatusTooManyRequests, v)
		return
	}
	u, err := c.cfg.Store.ConsoleUser(ctx, loginName)
	if err != nil && !errors.Is(err, outreach.ErrNotFound) {
		c.serverError(w, r, err)
		return
	}
	hash := u.PasswordHash
	if err != nil || loginName == "" {
		hash = ""
	}
	ok := outreach.CheckPassword(hash, r.PostFormValue("password")) && !u.Disabled
	if !ok {
		c.throttle.fail("login:"+loginName, now)
		c.throttle.fail("addr:"+addr, now)
		c.audit(ctx, outreach.AuditEntry{Actor: auditLogin(loginName), Action: "login_failed", Addr: addr})
		v.Error = "login.wrong"
		c.showLogin(w, r, http.StatusUnauthorized, v)
		return
	}
	c.throttle.reset("login:" + loginName)
	if err := c.startSession(w, r, u, "login"); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.setCookie(w, loginCookie, "", -1)
	http.Redirect(w, r, localNext(v.Next), http.StatusSeeOther)
}

// auditLogin is a tried login as the audit log keeps it: valid text,
// bounded.
func auditLogin(login string) string {
	if err := outreach.CheckConsoleLogin(login); err != nil {
		return "(invalid login)"
	}
	return login
}

// startSession creates a session for u and sets its cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, u outreach.ConsoleUser, how string) error {
	secret := randomToken()
	now := c.now()
	cs := outreach.ConsoleSession{Hash: outreach.HashToken(secret), UserID: u.ID, CSRF: randomToken(), Addr: clientAddr(r), CreatedAt: now, LastSeenAt: now}
	if err := c.cfg.Store.CreateConsoleSession(r.Context(), cs); err != nil {
		return fmt.Errorf("console: sign in %s: %w", u.Login, err)
	}
	c.setCookie(w, sessionCookie, secret, c.cfg.MaxAge)
	c.audit(r.Context(), outreach.AuditEntry{Actor: u.Login, Action: how, Addr: cs.Addr})
	// Every sign-in sweeps the sessions that expired, so that the table
	// holds about as many as are in use.
	if _, err := c.cfg.Store.PruneConsoleSessions(r.Context(), now.Add(-c.cfg.IdleTimeout), now.Add(-c.cfg.MaxAge)); err != nil {
		c.cfg.Logger.Warn("console: prune sessions", "err", err)
	}
	return nil
}

// logout ends the session (a POST with the CSRF token: guard checked it).
func logout(c *Console, w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if err := c.cfg.Store.DeleteConsoleSession(r.Context(), s.Hash); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.setCookie(w, sessionCookie, "", -1)
	c.audit(r.Context(), outreach.AuditEntry{Actor: s.User.Login, Action: "logout", Addr: clientAddr(r)})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// loginLink is a one-time sign-in (LoginLink).
type loginLink struct {
	userID  string
	expires time.Time
}

// LoginLink returns the path of a link that signs the user in once,
// within 15 minutes, without a password: `outreach dev` prints one for its
// demo admin. The links live in this process only.
func (c *Console) LoginLink(ctx context.Context, idOrLogin string) (string, error) {
	u, err := c.cfg.Store.ConsoleUser(ctx, idOrLogin)
	if err != nil {
		return "", fmt.Errorf("console: login link: %w", err)
	}
	token := randomToken()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for h, l := range c.links {
		if now.After(l.expires) {
			delete(c.links, h)
		}
	}
	c.links[outreach.HashToken(token)] = loginLink{userID: u.ID, expires: now.Add(linkTTL)}
	return "/console/login/link?token=" + url.QueryEscape(token), nil
}

// followLink signs in with a one-time link: used once, then gone.
func followLink(c *Console, w http.ResponseWriter, r *http.Request) {
	h := outreach.HashToken(r.URL.Query().Get("token"))
	c.mu.Lock()
	l, ok := c.links[h]
	delete(c.links, h)
	c.mu.Unlock()
	if !ok || c.now().After(l.expires) {
		c.showLogin(w, r, http.StatusUnauthorized, loginView{Error: "login.link"})
		return
	}
	u, err := c.cfg.Store.ConsoleUser(r.Context(), l.userID)
	if err != nil || u.Disabled {
		c.showLogin(w, r, http.StatusUnauthorized, loginView{Error: "login.link"})
		return
	}
	if err := c.startSession(w, r, u, "login_link"); err != nil {
		c.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// setLang is the language switch: a cookie, then back where the user was.
func setLang(c *Console, w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("to")
	if !slices.Contains(languages, lang) {
		lang = languages[0]
	}
	c.setCookie(w, langCookie, lang, 365*24*time.Hour)
	http.Redirect(w, r, localNext(r.URL.Query().Get("back")), http.StatusSeeOther)
}

// audit appends to the audit log; a failure is logged, not shown (the
// action it records has happened).
func (c *Console) audit(ctx context.Context, a outreach.AuditEntry) {
	if err := c.cfg.Store.RecordAudit(ctx, a); err != nil {
		c.cfg.Logger.Error("console: audit log", "action", a.Action, "actor", a.Actor, "err", err)
	}
}
