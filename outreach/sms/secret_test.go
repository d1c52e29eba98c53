package sms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := Config{AccountSID: testSID, AuthToken: testToken, From: "+8610000000000"}

	var outputs []string
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%X", "%10s"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, cfg.AuthToken),
			fmt.Sprintf(verb, cfg),
			fmt.Sprintf(verb, &cfg),
		)
	}
	outputs = append(outputs, fmt.Sprint(cfg), fmt.Sprintln(cfg.AuthToken), cfg.AuthToken.String())

	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("json.Marshal(Config): %v", err)
	}
	outputs = append(outputs, string(js))

	var text, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "cfg", cfg, "token", cfg.AuthToken)
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "cfg", cfg, "token", cfg.AuthToken)
	outputs = append(outputs, text.String(), jsonLog.String())

	unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">") // json.Marshal escapes < and >
	for _, out := range outputs {
		out = unescape.Replace(out)
		if strings.Contains(out, testToken) {
			t.Errorf("output %q reveals the token", out)
		}
		if !strings.Contains(out, "<secret>") {
			t.Errorf("output %q does not show <secret> in place of the token", out)
		}
	}
	if string(cfg.AuthToken) != testToken {
		t.Errorf("string(outreach.Secret) = %q, want the value", string(cfg.AuthToken))
	}
}
