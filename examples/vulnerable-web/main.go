// Command vulnerable-web is a deliberately vulnerable web app, the target of
// examples/vulnerable-web/attack.sh. Never run it outside a demo.
//
// It has two holes an attacker turns into code execution:
//
//   - GET /ping?host=H runs `sh -c "ping -c 1 -W 1 H"`: a command injection
//     (host=127.0.0.1;cat /etc/shadow), the commonest hole of its kind;
//   - POST /plugin?arg=A... runs the request's body as a program from
//     memory (a memfd), as a "plugin loader" would: it stands for an
//     attacker's code running inside the app's process (a deserialization
//     bug, a template injection) that starts a payload without writing it
//     to disk.
//
// Each answer is the command's output and a last line "exit: N" (or
// "exit: error: ..." when it could not start).
//
//	vulnerable-web [-listen ADDR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxPlugin bounds a plugin's size: busybox, the demo's payload, is about 2 MB.
const maxPlugin = 16 << 20

// cmdTimeout bounds every command an attack runs.
const cmdTimeout = 10 * time.Second

func main() {
	listen := flag.String("listen", ":8080", "the address to serve on")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", index)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /ping", ping)
	mux.HandleFunc("POST /plugin", plugin)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("vulnerable-web: listening on %s", *listen)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("vulnerable-web: %v", err)
	}
	log.Printf("vulnerable-web: stopped")
}

func index(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprint(w, `vulnerable-web: a deliberately vulnerable app (vigil's demo)
  GET  /ping?host=HOST      pings HOST (through sh -c: command injection)
  POST /plugin?arg=ARG...   runs the body as a program from memory
`)
}

// ping is the command injection: host goes into a shell command as it is.
func ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	ctx, cancel := context.WithTimeout(r.Context(), cmdTimeout)
	defer cancel()
	run(w, exec.CommandContext(ctx, "/bin/sh", "-c", "ping -c 1 -W 1 "+host))
}

// plugin runs the body from a memfd through /proc/self/fd: no file of it
// is ever on disk.
func plugin(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPlugin))
	if err != nil {
		http.Error(w, "reading the plugin: "+err.Error(), http.StatusBadRequest)
		return
	}
	mem, err := memfile(body)
	if err != nil {
		fmt.Fprintf(w, "exit: error: %v\n", err)
		return
	}
	defer mem.Close()
	args := r.URL.Query()["arg"]
	if len(args) == 0 {
		args = []string{"plugin"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/proc/self/fd/3", args[1:]...)
	cmd.Args[0] = args[0]
	cmd.ExtraFiles = []*os.File{mem} // fd 3 in the child, open at its execve
	run(w, cmd)
}

// memfile is a memfd holding b.
func memfile(b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("plugin", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:plugin")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing the memfd: %w", err)
	}
	return f, nil
}

// run runs cmd and answers its output and exit status.
func run(w http.ResponseWriter, cmd *exec.Cmd) {
	cmd.WaitDelay = time.Second // a background child keeping the output open
	out, err := cmd.CombinedOutput()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(out)
	var exit *exec.ExitError
	switch {
	case err == nil:
		fmt.Fprintln(w, "exit: 0")
	case errors.As(err, &exit):
		fmt.Fprintf(w, "exit: %d\n", exit.ExitCode())
	default:
		fmt.Fprintf(w, "exit: error: %v\n", err)
	}
}
