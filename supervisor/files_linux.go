package supervisor

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/supervisor/filewatch"
)

// The rules of file events: a change to the baseline's files, a read of a
// sensitive file.
const (
	fileRule      = "files.baseline"
	sensitiveRule = "files.sensitive"
	protectRule   = "files.protect"        // a change refused by Landlock
	ownRule       = "files.vigil"          // a change to vigil's own files
	lateRule      = "files.sensitive-late" // a sensitive file read long after the start
)

// fileWatch runs the baseline watch beside the app.
type fileWatch struct {
	stop, done chan struct{}
}

// startFileWatch starts watching cfg.Baseline's files and cfg.Sensitive,
// reporting to cfg.Events; nil with neither. It gives loaded the baseline
// once it has it, nil when there is none or it cannot be read. Call it
// before the app starts.
func startFileWatch(cfg *Config, who *writers, loaded func(*filewatch.Manifest), log *zap.Logger) *fileWatch {
	if cfg.Baseline != nil || cfg.BaselineFile == "" {
		loaded(cfg.Baseline)
	}
	if !cfg.watchesFiles() {
		return nil
	}
	base := cfg.Baseline
	if base == nil {
		base = &filewatch.Manifest{} // sensitive reads only
	}
	fw := &fileWatch{stop: make(chan struct{}), done: make(chan struct{})}
	emit := func(ev events.Event) {
		ev.Workload = cfg.Workload
		ev.Container = events.Container{Hostname: cfg.Hostname}
		if err := cfg.Events.Emit(ev); err != nil && !errors.Is(err, events.ErrDropped) {
			log.Warn("emitting an event", zap.Error(err))
		}
	}
	degradedAs := func(sev events.Severity, path string, err error) {
		log.Warn("the file watch is not complete", zap.String("path", path), zap.Error(err))
		ev := events.New(events.KindLifecycle, "vigil.filewatch", sev, events.ActionAlert)
		d := events.LifecycleDetails{What: "degraded", Component: "filewatch", Path: path, Error: err.Error()}
		if err := ev.SetDetails(d); err == nil {
			emit(ev)
		}
	}
	degraded := func(path string, err error) { degradedAs(events.SeverityMedium, path, err) }
	started := time.Now()
	report := func(c filewatch.Change, op string) {
		rule := fileRule
		switch {
		case c.Kind == filewatch.SensitiveOpened && cfg.SensitiveLate > 0 && time.Since(started) > cfg.SensitiveLate:
			// Servers read their secrets as they start: one read later
			// is someone else's use of the server.
			rule = lateRule
		case c.Kind == filewatch.SensitiveOpened:
			rule = sensitiveRule
		case c.Kind == filewatch.Tampered:
			rule = ownRule
		}
		ev := events.New(events.KindFile, rule, fileSeverity(c), events.ActionAlert)
		d := events.FileDetails{Path: c.Path, Op: op, Change: string(c.Kind), Expected: c.Expected, Actual: c.Actual, By: "unknown"}
		// An opening is not a write: its reader is not known.
		if p := who.who(c.Path, time.Now()); p != nil && c.Kind != filewatch.SensitiveOpened {
			ev.Process, d.By = p, byOf(p)
		}
		if err := ev.SetDetails(d); err != nil {
			log.Error("bug: file details", zap.Error(err))
			return
		}
		emit(ev)
	}
	// The sensitive files are watched before the app starts (it may read
	// them first thing); the trees, which take longer, beside it.
	w, err := filewatch.NewWatcher(base, filewatch.WatchOptions{
		Skip: cfg.BaselineSkip, Rescan: cfg.Rescan, Trouble: degraded, Sensitive: cfg.Sensitive, Own: cfg.Own, Stop: fw.stop,
	}, report)
	if err != nil {
		loaded(nil)
		degraded("", err)
		close(fw.done)
		return fw
	}
	go func() {
		defer close(fw.done)
		defer w.Close()
		start := time.Now()
		if cfg.Baseline == nil && cfg.BaselineFile != "" {
			// Read beside: the app's first reads of sensitive files are
			// reported meanwhile.
			var m *filewatch.Manifest
			var err error
			read := make(chan struct{})
			go func() {
				defer close(read)
				m, err = readBaseline(cfg.BaselineFile)
			}()
			w.Await(read)
			loaded(m)
			if err != nil {
				// A baseline damaged since the build is itself a finding.
				degradedAs(events.SeverityHigh, cfg.BaselineFile, fmt.Errorf("the baseline cannot be read, its files are not watched: %w", err))
			} else {
				w.SetBaseline(m)
			}
		}
		w.WatchTrees()
		log.Debug("watching the baseline's files", zap.Duration("took", time.Since(start)))
		// What changed between the build and now, and while the watches
		// were being set up.
		w.Rescan()
		if err := w.Run(fw.stop); err != nil {
			degraded("", err)
		}
	}()
	return fw
}

// wait stops the watch once it has reported what is pending, waiting at
// most limit (0: not at all, the app never started); a nil watch is done.
func (fw *fileWatch) wait(limit time.Duration, log *zap.Logger) {
	if fw == nil {
		return
	}
	close(fw.stop)
	if limit == 0 {
		return
	}
	select {
	case <-fw.done:
	case <-time.After(limit):
		log.Warn("file watch still busy at exit", zap.Duration("waited", limit))
	}
}

// fileSeverity rates a change: what runs or is run differently is high,
// a new setuid or setgid bit critical.
func fileSeverity(c filewatch.Change) events.Severity {
	switch c.Kind {
	case filewatch.Content, filewatch.TypeChanged, filewatch.Target, filewatch.SensitiveOpened:
		return events.SeverityHigh
	case filewatch.Tampered:
		return events.SeverityCritical
	}
	if c.SetID {
		return events.SeverityCritical
	}
	return events.SeverityMedium
}

// byOf names a process in a file event's by.
func byOf(p *events.Process) string {
	if p.Exe != "" {
		return fmt.Sprintf("pid %d (%s)", p.PID, p.Exe)
	}
	return fmt.Sprintf("pid %d", p.PID)
}

// readBaseline reads and checks the whole baseline at path, bounded
// (a FIFO or device put in its place is refused, not waited on).
func readBaseline(path string) (*filewatch.Manifest, error) {
	m, _, err := filewatch.ReadFile(path)
	return m, err
}
