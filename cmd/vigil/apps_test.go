package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// playRole runs the test binary as an app under vigil.
func playRole(role string, args []string) int {
	switch role {
	case "signals":
		return echoSignals()
	case "dump":
		return dumpSelf(os.Getenv("VIGILTEST_OUT"))
	case "violate":
		return violate()
	case "storm":
		return storm()
	case "pack":
		return packRole(args)
	case "net":
		return netRole()
	case "serve":
		return serveRole(args)
	}
	fmt.Fprintf(os.Stderr, "unknown VIGILTEST_ROLE %q\n", role)
	return 99
}

// echoSignals prints "ready", then the number of every signal it receives,
// one per line, and exits 0 after SIGTERM.
func echoSignals() int {
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, catchable()...)
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "ready")
	w.Flush()
	for sig := range sigs {
		fmt.Fprintln(w, int(sig.(syscall.Signal)))
		w.Flush()
		if sig == syscall.SIGTERM {
			return 0
		}
	}
	return 1
}

// self is what an app sees of how it was started.
type self struct {
	Args []string `json:"args"`
	Env  []string `json:"env"`
	Dir  string   `json:"dir"`
}

func dumpSelf(path string) int {
	dir, err := os.Getwd()
	if err != nil {
		return 98
	}
	b, err := json.Marshal(self{Args: os.Args, Env: os.Environ(), Dir: dir})
	if err != nil || os.WriteFile(path, b, 0o600) != nil {
		return 97
	}
	return 0
}

// catchable lists the signals a test can expect vigil to forward: all of
// them but the uncatchable, vigil's own SIGCHLD, the Go runtime's SIGURG and
// SIGPROF, and 32 to 34, which the Go runtime reserves for C libraries.
func catchable() []os.Signal {
	var sigs []os.Signal
	for n := syscall.Signal(1); n <= 64; n++ {
		switch n {
		case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGURG, syscall.SIGPROF, 32, 33, 34:
			continue
		}
		sigs = append(sigs, n)
	}
	return sigs
}

// violate calls getpgid VIGILTEST_N times, VIGILTEST_EVERY apart (a
// duration), counts the calls that failed (the profile denies them), and
// prints "done N" when finished; then it waits for SIGTERM when
// VIGILTEST_WAIT is set.
func violate() int {
	n, _ := strconv.Atoi(os.Getenv("VIGILTEST_N"))
	every, _ := time.ParseDuration(os.Getenv("VIGILTEST_EVERY"))
	denied := 0
	for range n {
		if _, err := syscall.Getpgid(0); err != nil {
			denied++
		}
		time.Sleep(every)
	}
	fmt.Printf("done %d\n", denied)
	if os.Getenv("VIGILTEST_WAIT") != "" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		<-sigs
	}
	return 0
}

// storm calls getpgid in a tight loop for VIGILTEST_FOR (a duration) and
// prints how many calls failed (the profile denies them) and how many were
// made.
func storm() int {
	d, _ := time.ParseDuration(os.Getenv("VIGILTEST_FOR"))
	denied, calls := 0, 0
	for end := time.Now().Add(d); time.Now().Before(end); calls++ {
		if _, err := syscall.Getpgid(0); err != nil {
			denied++
		}
	}
	fmt.Printf("%d %d\n", denied, calls)
	return 0
}
