package rules_test

import (
	"fmt"

	"github.com/vigilsec/vigil/rules"
)

func ExampleParse() {
	_, err := rules.Parse("policy.yaml", []byte(`apiVersion: vigil.dev/v1
kind: Policy
seccomp:
  profile: docker-default
  rules:
    - names: [ptrace]
      action: deny
capabilities: [NET_BIND_SERVICE, SYS_FLY]
`))
	fmt.Println(err)
	// Output:
	// policy.yaml:7:15: unknown action "deny": want allow, errno, kill, kill-thread or log
	// policy.yaml:8:34: unknown capability "SYS_FLY": want a Linux capability such as NET_BIND_SERVICE or CAP_NET_BIND_SERVICE
}
