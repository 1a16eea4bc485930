package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/signals"
)

// Exit codes of vigil's own failures; vigil run otherwise exits with the app's code.
const (
	exitOK    = 0
	exitError = 125 // vigil's own error: bad flag, bad config, cannot start
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one vigil subcommand. setup defines its flags on fs and returns
// the function that runs it with the arguments left after the flags.
type command struct {
	name, synopsis, summary string
	setup                   func(fs *pflag.FlagSet, sigs *signals.Set) func(args []string) int
	// badUsage is the exit code of a flag error: exitError unless set.
	badUsage int
}

// commands is filled in init: help refers back to it.
var commands []command

func init() {
	commands = []command{
		{name: "run", synopsis: "run [flags] -- CMD [ARG...]",
			summary: "Run CMD as the supervised app, as PID 1 (the image's ENTRYPOINT)", setup: setupRun},
		{name: "learn", synopsis: "learn [flags] -- CMD [ARG...]",
			summary: "Run CMD with every syscall recorded, then write the least seccomp profile and policy that allow it", setup: setupLearn},
		{name: "check", synopsis: "check [POLICY.yaml|PROFILE.json] | check --stream [--nats-replicas N] [--stream-max-age AGE] [--stream-max-bytes SIZE]",
			summary: "Validate a policy or seccomp profile as vigil run would; exit 0, or print every problem and exit 1. With --stream, print the nats CLI command that creates the event stream", setup: setupCheck},
		{name: "baseline", synopsis: "baseline [flags] [PATH...]",
			summary: "Record every file under PATH (default /) with its SHA-256: the image's baseline, taken at build time", setup: setupBaseline},
		{name: "verify", synopsis: "verify [flags] [PATH...]",
			summary: "Compare the files with the baseline and print every difference; exit 0 none, 1 some, 2 error", setup: setupVerify, badUsage: exitTrouble},
		{name: "tail", synopsis: "tail [flags]",
			summary: "Print the events of the NATS bus as they come (default: new ones, all workloads)", setup: setupTail},
		{name: "version", synopsis: "version",
			summary: "Print the version", setup: setupVersion},
		{name: "help", synopsis: "help [COMMAND]",
			summary: "Show help for vigil or a command", setup: setupHelp},
	}
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// dispatch runs the command named by args[0] and returns the exit code.
func dispatch(args []string, sigs *signals.Set) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return exitError
	}
	name := args[0]
	if name == supervisor.SandboxCommand {
		return supervisor.Sandbox()
	}
	if name == "-h" || name == "--help" {
		name = "help"
	}
	cmd := lookup(name)
	if cmd == nil {
		fail("unknown command %q (see 'vigil help')", args[0])
		return exitError
	}
	fs := newFlagSet(cmd.name)
	main := cmd.setup(fs, sigs)
	if err := parse(fs, args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandUsage(os.Stdout, cmd)
			return exitOK
		}
		fail("%s: %v (see 'vigil help %s')", cmd.name, err, cmd.name)
		return cmp.Or(cmd.badUsage, exitError)
	}
	return main(fs.Args())
}

// fail prints vigil's one line about its own error.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vigil: "+format+"\n", args...)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "vigil: the runtime guard baked into the image.\n\nUsage:\n  vigil COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nEvery flag can also be set by its VIGIL_* variable; a flag wins over its variable.\n"+
		"Run 'vigil help COMMAND' for a command's flags.\n")
}

func commandUsage(w io.Writer, cmd *command) {
	fs := newFlagSet(cmd.name)
	cmd.setup(fs, nil)
	fs.VisitAll(func(f *pflag.Flag) { f.Usage += " [$" + envName(f.Name) + "]" })
	fmt.Fprintf(w, "%s.\n\nUsage:\n  vigil %s\n", cmd.summary, cmd.synopsis)
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
	if cmd.name == "run" {
		fmt.Fprint(w, runExitCodes)
	}
}

func setupHelp(fs *pflag.FlagSet, _ *signals.Set) func([]string) int {
	return func(args []string) int {
		if len(args) == 0 {
			usage(os.Stdout)
			return exitOK
		}
		cmd := lookup(args[0])
		if cmd == nil {
			fail("help: unknown command %q", args[0])
			return exitError
		}
		commandUsage(os.Stdout, cmd)
		return exitOK
	}
}

func setupVersion(fs *pflag.FlagSet, _ *signals.Set) func([]string) int {
	return func([]string) int {
		fmt.Println("vigil", version)
		return exitOK
	}
}

// envName is the variable that sets flag name: --log-level is VIGIL_LOG_LEVEL.
// --nats is VIGIL_NATS_URL, as the design's contract names it.
func envName(flag string) string {
	if flag == "nats" {
		return "VIGIL_NATS_URL"
	}
	return "VIGIL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
