package main

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestHelpUsageAndCompletion: the help, the usage of a command line that
// does not parse and the shell completion all come from the grammar.
func TestHelpUsageAndCompletion(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=" + os.Getenv("PATH")}
	out, _, code := cli(t, env, "help")
	if code != 0 || !strings.Contains(out, "residents") || !strings.Contains(out, "OUTREACH_DATABASE_URL") {
		t.Errorf("outreach help: exit %d, want 0 with the commands and the settings\n%s", code, out)
	}
	out, _, code = cli(t, env, "help", "tokens", "create")
	if code != 0 || !strings.Contains(out, "--scopes") {
		t.Errorf("outreach help tokens create: exit %d\n%s", code, out)
	}
	_, errOut, code := cli(t, env, "tokens")
	if code != 2 || !strings.Contains(errOut, "usage: outreach tokens <command>") || !strings.Contains(errOut, "outreach tokens revoke <NAME|ID>") {
		t.Errorf("outreach tokens: exit %d, want 2 with the subcommands' usage\n%s", code, errOut)
	}
	_, errOut, code = cli(t, env, "no-such-command")
	if code != 2 || !strings.Contains(errOut, "unknown command no-such-command") {
		t.Errorf("outreach no-such-command: exit %d\n%s", code, errOut)
	}
	out, _, code = cli(t, env, "completion", "bash")
	if code != 0 || !strings.HasPrefix(out, "complete -C ") || !strings.HasSuffix(out, " outreach\n") {
		t.Errorf("outreach completion bash: exit %d\n%s", code, out)
	}
	if _, _, code = cli(t, env, "completion", "tcsh"); code != 2 {
		t.Errorf("outreach completion tcsh: exit %d, want 2", code)
	}
	// What bash asks through `complete -C`: the words that complete the line.
	for line, want := range map[string][]string{
		"outreach est":                 {"estates"},
		"outreach residents s":         {"set", "show"},
		"outreach residents list --bu": {"--building"},
	} {
		out, _, code = cli(t, append(env, "COMP_LINE="+line, "COMP_POINT="+strconv.Itoa(len(line))))
		got := strings.Fields(out)
		slices.Sort(got)
		if code != 0 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("completing %q: exit %d, %q; want %q", line, code, got, want)
		}
	}
}
