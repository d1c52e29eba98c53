package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// completionCmd prints what a shell needs to complete outreach's command
// lines. The completing itself is kongplete's (runArgs answers a shell's
// COMP_LINE request from the grammar), so it is never out of date.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish"`
}

// completionScripts are the shells' ways of asking a program for its
// completions (those of posener/complete, which kongplete answers).
var completionScripts = map[string]string{
	"bash": "complete -C ${bin} ${cmd}\n",
	"zsh":  "autoload -U +X bashcompinit && bashcompinit\ncomplete -C ${bin} ${cmd}\n",
	"fish": `function __complete_${cmd}
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    ${bin}
end
complete -f -c ${cmd} -a "(__complete_${cmd})"
`,
}

func (c *completionCmd) run(_ context.Context, e *env) int {
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.Abs(bin)
	}
	if err != nil {
		return e.fail("completion", fmt.Errorf("find this program: %w", err))
	}
	vars := map[string]string{"bin": shellQuote(bin), "cmd": "outreach"}
	fmt.Fprint(e.stdout, os.Expand(completionScripts[c.Shell], func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return "$" + k
	}))
	return 0
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]#~") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
