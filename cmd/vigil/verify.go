package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// setupVerify is vigil verify [--baseline FILE] [--json] [--digest D] [PATH...].
func setupVerify(fs *pflag.FlagSet, _ *signals.Set) func([]string) int {
	file := fs.String("baseline", defaultBaseline, "the baseline to compare with (`FILE`)")
	asJSON := fs.Bool("json", false, "print each difference as a JSON object on its own line")
	pin := fs.String("digest", "", "fail (exit 2) unless the baseline's digest is `DIGEST` (sha256:…, as vigil baseline printed it)")
	workers := fs.Int("jobs", 0, "hash this many files at once (default: one per CPU)")
	return func(args []string) int {
		m, err := readManifest(*file, *pin)
		if err != nil {
			fail("verify: %v", err)
			return exitTrouble
		}
		limit, err := absPaths(args)
		if err != nil {
			fail("verify: %v", err)
			return exitTrouble
		}
		if len(args) == 0 {
			limit = nil
		}
		skip, err := filewatch.MountPoints()
		if err != nil {
			fail("verify: reading the mount points: %v", err)
			return exitTrouble
		}
		got, problems, err := filewatch.Scan(filewatch.Options{
			Roots: m.Roots, Excludes: m.Excludes, Skip: append(skip, *file), Workers: *workers,
		})
		if err != nil {
			fail("verify: %v", err)
			return exitTrouble
		}
		changes := filewatch.Compare(filewatch.Within(m.Entries, limit), filewatch.Within(got, limit))
		enc := json.NewEncoder(os.Stdout)
		for _, c := range changes {
			if *asJSON {
				enc.Encode(c) //nolint:errcheck // stdout
			} else {
				fmt.Println(c)
			}
		}
		if report(problems) {
			return exitTrouble
		}
		if len(changes) > 0 {
			return 1
		}
		return exitOK
	}
}

// readManifest reads the baseline at path and checks its digest against
// pin when pin is set.
func readManifest(path, pin string) (*filewatch.Manifest, error) {
	m, digest, err := filewatch.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if pin != "" && pin != digest {
		return nil, fmt.Errorf("%s: digest %s, want %s: not the baseline you pinned", path, digest, pin)
	}
	return m, nil
}
