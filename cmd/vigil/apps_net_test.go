package main_test

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// netRole reads network attempts from stdin, one a line, makes each with
// the raw system call and prints "<line> -> ok" or "<line> -> ERRNO":
//
//	connect tcp|udp ADDR:PORT     connect (udp: a connected socket)
//	sendto udp ADDR:PORT          sendto with an address
//	sendmsg udp ADDR:PORT         sendmsg with msg_name
//	sendmmsg udp ADDR:PORT...     one sendmmsg, a message to each
//	bind tcp|udp ADDR:PORT        bind (and listen, for tcp)
//	connect unix PATH|@NAME       connect to a Unix stream socket
//	bind unix PATH|@NAME          bind one, and listen
//	sleep DURATION                wait, and print nothing
//
// Sockets stay open until the role exits (a bound port stays bound).
func netRole() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		if d, ok := strings.CutPrefix(line, "sleep "); ok {
			t, _ := time.ParseDuration(d)
			time.Sleep(t)
			continue
		}
		fmt.Printf("%s -> %s\n", line, errnoName(attempt(strings.Fields(line))))
	}
	return 0
}

func errnoName(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := err.(syscall.Errno); ok {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

func attempt(f []string) error {
	if len(f) < 3 {
		return fmt.Errorf("want: CALL PROTO ADDRESS")
	}
	call, proto := f[0], f[1]
	if proto == "unix" {
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		name := f[2]
		if strings.HasPrefix(name, "@") {
			name = "\x00" + name[1:]
		}
		if call == "bind" { // and listen
			if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: name}); err != nil {
				return err
			}
			return syscall.Listen(fd, 8)
		}
		return syscall.Connect(fd, &syscall.SockaddrUnix{Name: name})
	}
	var sas []syscall.Sockaddr
	for _, a := range f[2:] {
		sa, err := sockaddr(a)
		if err != nil {
			return err
		}
		sas = append(sas, sa)
	}
	typ := syscall.SOCK_STREAM
	if proto == "udp" {
		typ = syscall.SOCK_DGRAM
	}
	family := syscall.AF_INET
	if _, ok := sas[0].(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, typ, 0)
	if err != nil {
		return err
	}
	msg := []byte("vigil")
	switch call {
	case "connect":
		return syscall.Connect(fd, sas[0])
	case "sendto":
		return syscall.Sendto(fd, msg, 0, sas[0])
	case "sendmsg":
		_, err := syscall.SendmsgN(fd, msg, nil, sas[0], 0)
		return err
	case "sendmmsg":
		return sendmmsg(fd, msg, f[2:])
	case "bind":
		if err := syscall.Bind(fd, sas[0]); err != nil || typ == syscall.SOCK_DGRAM {
			return err
		}
		return syscall.Listen(fd, 8)
	}
	return fmt.Errorf("unknown call %q", call)
}

func sockaddr(s string) (syscall.Sockaddr, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, err
	}
	if ap.Addr().Is4() {
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, nil
	}
	return &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}, nil
}

// mmsghdr is struct mmsghdr on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

// sendmmsg sends msg to each IPv4 address of addrs in one call.
func sendmmsg(fd int, msg []byte, addrs []string) error {
	iov := syscall.Iovec{Base: &msg[0], Len: uint64(len(msg))}
	names := make([]syscall.RawSockaddrInet4, len(addrs))
	hdrs := make([]mmsghdr, len(addrs))
	for i, a := range addrs {
		ap := netip.MustParseAddrPort(a)
		names[i] = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: ap.Addr().As4()}
		p := (*[2]byte)(unsafe.Pointer(&names[i].Port))
		p[0], p[1] = byte(ap.Port()>>8), byte(ap.Port())
		hdrs[i].hdr = syscall.Msghdr{Name: (*byte)(unsafe.Pointer(&names[i])), Namelen: uint32(unsafe.Sizeof(names[i])), Iov: &iov, Iovlen: 1}
	}
	_, _, e := syscall.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// serveRole listens on every "tcp ADDR:PORT" or "udp ADDR:PORT" pair of
// args, prints "ready" and serves until killed: TCP connections are
// accepted and closed, datagrams read.
func serveRole(args []string) int {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "udp" {
			c, err := net.ListenPacket("udp", args[i+1])
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			go func() {
				buf := make([]byte, 1500)
				for {
					if _, _, err := c.ReadFrom(buf); err != nil {
						return
					}
				}
			}()
			continue
		}
		ln, err := net.Listen("tcp", args[i+1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	fmt.Println("ready")
	select {}
}
