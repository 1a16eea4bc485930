// Command genpack writes the default rule pack, parsed and checked from
// rules/pack/default.yaml, as rules/pack/default.json: what vigil decodes
// at every start (JSON decodes ten times faster than the YAML parses).
// Run it with go generate ./rules after changing the YAML; a test fails
// while the two differ.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/vigilsec/vigil/rules"
)

func main() {
	data, err := os.ReadFile("pack/default.yaml")
	if err != nil {
		fail(err)
	}
	p, err := rules.ParsePack("rules/pack/default.yaml", data)
	if err != nil {
		fail(err)
	}
	out, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile("pack/default.json", append(out, '\n'), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genpack:", err)
	os.Exit(1)
}
