//go:build race

package main_test

// Under go test -race the vigil binary under test is built with the race
// detector too: a data race in the supervisor then fails the tests that
// check vigil's exit code and stderr.
func init() { buildRace = true }
