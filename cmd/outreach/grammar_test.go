package main

import (
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
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
		"outreach archive s":           {"search", "show"},
		"outreach archive export --o":  {"--output"},
		"outreach cases re":            {"report", "resolve"},
		"outreach campaign c":          {"cancel", "create"},
		"outreach templates p":         {"preview"},
		"outreach surveys list --ca":   {"--callback-open"},
		"outreach satisfaction ":       {"report"},
	} {
		out, _, code = cli(t, append(env, "COMP_LINE="+line, "COMP_POINT="+strconv.Itoa(len(line))))
		got := strings.Fields(out)
		slices.Sort(got)
		if code != 0 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("completing %q: exit %d, %q; want %q", line, code, got, want)
		}
	}
}

// TestHelpOfEveryCommand: every command and subcommand has its help from
// the grammar, asked as --help, as `outreach help COMMAND...` or as
// `outreach COMMAND help`; a command that needs its subcommand says which
// ones there are.
func TestHelpOfEveryCommand(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"archive", "export", "--help"}, "--output=FILE"},
		{[]string{"help", "archive", "show"}, "<JOB>"},
		{[]string{"cases", "help"}, "cases acknowledge"},
		{[]string{"cases", "help", "open"}, "--urgency="},
		{[]string{"surveys", "help"}, "surveys note"},
		{[]string{"satisfaction", "report", "-h"}, "--by="},
		{[]string{"templates", "preview", "--help"}, "--data=k=v"},
		{[]string{"campaign", "help", "create"}, "--local-time=HH:MM"},
	} {
		out, errOut, code := cli(t, env, tt.args...)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("outreach %s: exit %d, want 0 with %q\n%s%s", strings.Join(tt.args, " "), code, tt.want, out, errOut)
		}
	}
	for _, cmd := range []string{"campaign", "archive", "cases", "surveys", "satisfaction", "templates"} {
		_, errOut, code := cli(t, env, cmd)
		if code != 2 || !strings.Contains(errOut, "usage: outreach "+cmd+" <command>") {
			t.Errorf("outreach %s: exit %d, want 2 with its subcommands\n%s", cmd, code, errOut)
		}
	}
}

// TestOneCommandLineGrammar: the command line is kong's alone; no
// command parses its own flags with the flag package again.
func TestOneCommandLineGrammar(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	for name, f := range parsePackage(t, fset, goparser.ImportsOnly) {
		for _, imp := range f.Imports {
			if imp.Path.Value == `"flag"` {
				t.Errorf("%s imports flag: declare the command's flags as kong struct tags (main.go)", name)
			}
		}
	}
}

// TestOneWayToOpenTheStore: every command opens the store through
// openStore, which loads only the settings the command names; none calls
// store.Open itself.
func TestOneWayToOpenTheStore(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	for name, f := range parsePackage(t, fset, 0) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name == "openStore" {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "store" && sel.Sel.Name == "Open" {
					t.Errorf("%s: %s calls store.Open: open the store with e.openStore", fset.Position(sel.Pos()), fn.Name.Name)
				}
				return true
			})
		}
	}
}

// parsePackage parses every Go file of this directory (the command's
// package and its tests) with mode.
func parsePackage(t *testing.T, fset *token.FileSet, mode goparser.Mode) map[string]*ast.File {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	parsed := make(map[string]*ast.File, len(files))
	for _, name := range files {
		f, err := goparser.ParseFile(fset, name, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		parsed[name] = f
	}
	return parsed
}
