package sms

import (
	"net/url"

	"github.com/twilio/twilio-go/client"

	"github.com/outreach-dev/outreach/outreach"
)

// Validator checks X-Twilio-Signature on webhooks: Twilio signs each
// request with the account's auth token (HMAC-SHA1 over the URL it posted
// to and the sorted form parameters, base64), so a valid signature proves
// the request came from Twilio for our account.
type Validator struct {
	v client.RequestValidator
}

// NewValidator returns a Validator for the account's auth token.
func NewValidator(token outreach.Secret) Validator {
	return Validator{v: client.NewRequestValidator(token.Reveal())}
}

// Valid reports whether signature is Twilio's for a POST of form to
// fullURL, the URL as Twilio sees it (the daemon's public URL, path and
// query). A parameter given twice counts with its first value, as
// twilio-go's validator does.
func (v Validator) Valid(fullURL string, form url.Values, signature string) bool {
	if signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) > 0 {
			params[k] = vs[0]
		}
	}
	return v.v.Validate(fullURL, params, signature)
}
