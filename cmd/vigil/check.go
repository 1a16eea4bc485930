package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// setupCheck is vigil check [POLICY|PROFILE]: it validates a policy (YAML)
// or a seccomp profile (.json) as vigil run would, compiles its filter,
// and exits 0, or prints every problem and exits 1.
func setupCheck(fs *pflag.FlagSet, _ *signals.Set) func([]string) int {
	stream := addStreamCheck(fs)
	return func(args []string) int {
		if stream.print {
			return stream.run(args)
		}
		if len(args) > 1 {
			fail("check: want one file, got %d", len(args))
			return exitError
		}
		file := policyPath("")
		if len(args) == 1 {
			file = args[0]
		}
		if file == "" {
			fail("check: no file given and no %s", defaultPolicy)
			return exitError
		}
		policy, profile := file, ""
		if strings.HasSuffix(file, ".json") {
			policy, profile = "", file
		}
		// As vigil run would load it: with the rule pack, where the kernel
		// lets the exec watch run.
		g, err := loadGuard(policy, profile, supervisor.SeccompNotifyAvailable())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s: ok (%s)\n", file, strings.Join(g.describe(), "; "))
		return exitOK
	}
}
