// Command netclient is the app of bench's network benchmarks: a client
// that makes new TCP connections to a loopback server of the benchmark's,
// started bare or under an init, and prints what it timed.
//
//	netclient connect HOST:PORT N   N connect+close, after 200 untimed: p50 and p99 in ns
//	netclient http URL N            N GETs, each on a new connection (keep-alive off), after 50 untimed: the N's wall time and p50 in ns
//
// It times itself, so that the init's start-up is not in the numbers. A
// refused or failed attempt ends it with status 1: the benchmark would
// time the wrong path. With VIGIL_BENCH_NET_FILTER set, it first puts
// connect under a seccomp filter that notifies it, and sends the listener
// on fd 3 (SCM_RIGHTS) to the benchmark, which answers.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/linux"
)

const (
	connectWarmups = 200
	httpWarmups    = 50
	// filterEnv asks for the notifying filter; listenerSocket is where
	// its listener goes.
	filterEnv      = "VIGIL_BENCH_NET_FILTER"
	listenerSocket = 3
)

// connectNotifies turns connect into a user notification and allows the
// rest.
var connectNotifies = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.AUDIT_ARCH_X86_64},
	{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_CONNECT},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
	{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
}

func main() {
	if len(os.Args) != 4 {
		fail(errors.New("usage: netclient connect HOST:PORT N | netclient http URL N"))
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil || n < 1 {
		fail(fmt.Errorf("calls %q: want a positive number", os.Args[3]))
	}
	if os.Getenv(filterEnv) != "" {
		if err := sendListener(); err != nil {
			fail(err)
		}
	}
	switch os.Args[1] {
	case "connect":
		err = connects(os.Args[2], n)
	case "http":
		err = requests(os.Args[2], n)
	default:
		err = fmt.Errorf("mode %q: want connect or http", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

// sendListener loads connectNotifies and sends its listener on
// listenerSocket.
func sendListener() error {
	if err := linux.SetNoNewPrivs(); err != nil {
		return err
	}
	listener, err := linux.InstallNotifyFilter(connectNotifies)
	if err != nil {
		return err
	}
	defer unix.Close(listener)
	defer unix.Close(listenerSocket)
	return linux.SendFd(listenerSocket, listener)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "netclient:", err)
	os.Exit(1)
}

// connects times n blocking connect+close of a new IPv4 TCP socket (the
// socket itself is made untimed) and prints their p50 and p99 in ns.
func connects(addr string, n int) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return fmt.Errorf("address %q: want IPv4 HOST:PORT", addr)
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	for range connectWarmups {
		if _, err := connectOnce(sa); err != nil {
			return err
		}
	}
	samples := make([]time.Duration, n)
	for i := range samples {
		if samples[i], err = connectOnce(sa); err != nil {
			return err
		}
	}
	fmt.Println(int64(percentile(samples, 50)), int64(percentile(samples, 99)))
	return nil
}

// connectOnce returns how long a connect and a close of a new socket
// took. An interrupted connect is retried on a new socket.
func connectOnce(sa *unix.SockaddrInet4) (time.Duration, error) {
	for {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return 0, fmt.Errorf("socket: %w", err)
		}
		start := time.Now()
		err = unix.Connect(fd, sa)
		unix.Close(fd)
		took := time.Since(start)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("connect %d.%d.%d.%d:%d: %w", sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3], sa.Port, err)
		}
		return took, nil
	}
}

// requests times n GETs of url, each on a new TCP connection, and prints
// the wall time of all n and the p50 of one, in ns.
func requests(url string, n int) error {
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}
	for range httpWarmups {
		if err := get(client, url); err != nil {
			return err
		}
	}
	samples := make([]time.Duration, n)
	start := time.Now()
	for i := range samples {
		t := time.Now()
		if err := get(client, url); err != nil {
			return err
		}
		samples[i] = time.Since(t)
	}
	wall := time.Since(start)
	fmt.Println(int64(wall), int64(percentile(samples, 50)))
	return nil
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return err
}

// percentile returns the p-th percentile of d (nearest rank); it sorts d.
func percentile(d []time.Duration, p int) time.Duration {
	slices.Sort(d)
	i := (len(d)*p + 99) / 100
	return d[max(i-1, 0)]
}
