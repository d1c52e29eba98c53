// Command gendocs writes the generated part of docs/configuration.md (the
// table of every setting) from the struct tags of package config:
// `go generate ./outreach/config`.
package main

import (
	"fmt"
	"os"

	"github.com/outreach-dev/outreach/outreach/config"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs docs/configuration.md")
		os.Exit(2)
	}
	path := os.Args[1]
	doc, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	out, err := config.ReplaceGenerated(string(doc))
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %s: %v\n", path, err)
		os.Exit(1)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
