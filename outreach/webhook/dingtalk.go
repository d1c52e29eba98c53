package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// SignDingTalk returns DingTalk's signature for a post at t: the base64
// HMAC-SHA256, keyed with secret, of the timestamp in milliseconds, a
// newline and the secret. DingTalk refuses a timestamp more than an hour
// off its clock.
func SignDingTalk(secret string, t time.Time) (timestamp, sign string) {
	timestamp = strconv.FormatInt(t.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return timestamp, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signedURL is base with DingTalk's timestamp and sign query parameters.
func signedURL(base *url.URL, secret string, t time.Time) string {
	u := *base
	q := u.Query()
	ts, sign := SignDingTalk(secret, t)
	q.Set("timestamp", ts)
	q.Set("sign", sign)
	u.RawQuery = q.Encode()
	return u.String()
}
