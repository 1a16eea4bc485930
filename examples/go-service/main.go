// Command go-service is a small key-value HTTP service, the example of a
// least-privilege seccomp profile and policy learned by vigil learn from the
// service's own traffic (README.md).
//
//	go-service -config config.json   # serve
//	go-service -traffic URL          # drive the test traffic at a server at URL
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	configPath := flag.String("config", "config.json", "the config file")
	traffic := flag.String("traffic", "", "drive the test traffic at the server at this URL, then exit")
	flag.Parse()
	if *traffic != "" {
		if err := runTraffic(*traffic); err != nil {
			log.Fatalf("traffic: %v", err)
		}
		return
	}
	if err := serve(*configPath); err != nil {
		log.Fatalf("go-service: %v", err)
	}
}

// serve runs the service until SIGTERM or SIGINT, then shuts it down
// gracefully.
func serve(configPath string) error {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return err
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: newHandler(st, cfg.MaxItemBytes), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Printf("go-service: listening on %s, data in %s", ln.Addr(), cfg.DataDir)
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	log.Printf("go-service: stopped")
	return nil
}
