package hub_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigilsec/vigil/hub"
)

// An auth file gives the tokens and users a hub lets in.
func ExampleLoadAuth() {
	dir, _ := os.MkdirTemp("", "hub-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "auth.yaml")
	os.WriteFile(path, []byte("tokens:\n  - 3f9c1e0b7a6d4c2e8f1a5b9d\nusers:\n  alice: correct-horse\n"), 0o600)
	a, err := hub.LoadAuth(path)
	fmt.Println(len(a.Tokens), len(a.Users), err)

	os.WriteFile(path, []byte("tokens:\n  - short\n"), 0o600)
	_, err = hub.LoadAuth(path)
	fmt.Println(err != nil)
	// Output:
	// 1 1 <nil>
	// true
}
