package main

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/vigilsec/vigil/internal/linux"
)

// newLogger builds vigil's own diagnostics logger on stderr: JSON lines
// when stderr is not a terminal (docker logs, collectors), console otherwise.
func newLogger(lf *logFlags) (*zap.Logger, error) {
	tty := linux.IsTerminal(int(os.Stderr.Fd()))
	format := lf.format
	if format == "auto" {
		format = "json"
		if tty {
			format = "console"
		}
	}
	cfg := zap.NewProductionEncoderConfig()
	cfg.TimeKey = "time"
	cfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	cfg.EncodeDuration = zapcore.StringDurationEncoder
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(cfg)
	case "console":
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		cfg.EncodeLevel = zapcore.CapitalLevelEncoder
		if tty {
			cfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		enc = zapcore.NewConsoleEncoder(cfg)
	default:
		return nil, fmt.Errorf("--log-format %q: want json, console or auto", lf.format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(os.Stderr), lf.level)
	return zap.New(core).Named("vigil"), nil
}
