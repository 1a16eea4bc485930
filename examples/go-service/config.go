package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// config is the service's config file.
type config struct {
	Addr         string `json:"addr"`         // listen address
	DataDir      string `json:"dataDir"`      // one file per item
	MaxItemBytes int64  `json:"maxItemBytes"` // larger PUT bodies get 413
}

func loadConfig(path string) (config, error) {
	cfg := config{Addr: "127.0.0.1:47311", DataDir: "/tmp/go-service", MaxItemBytes: 1 << 16}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("loading config: %w", err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("loading config %s: %w", path, err)
	}
	if env := os.Getenv("GO_SERVICE_DATA"); env != "" {
		cfg.DataDir = env
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("config: addr is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("config: dataDir is empty"))
	}
	if c.MaxItemBytes < 1 {
		errs = append(errs, fmt.Errorf("config: maxItemBytes %d: want at least 1", c.MaxItemBytes))
	}
	return errors.Join(errs...)
}
