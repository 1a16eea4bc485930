package supervisor

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/filewatch"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// Landlock rights vigil handles. Writing covers every way to change a tree:
// writing or truncating a file, making or removing an entry, renaming into
// it (refer). Reading is a file's content.
const (
	writeFileRights = ll.AccessFSWriteFile | ll.AccessFSTruncate
	writeDirRights  = writeFileRights | ll.AccessFSRemoveDir | ll.AccessFSRemoveFile | ll.AccessFSMakeChar |
		ll.AccessFSMakeDir | ll.AccessFSMakeReg | ll.AccessFSMakeSock | ll.AccessFSMakeFifo |
		ll.AccessFSMakeBlock | ll.AccessFSMakeSym | ll.AccessFSRefer
	readRights = ll.AccessFSReadFile
)

// LandlockABI is the kernel's Landlock ABI version, 0 when it has none (or
// the landlock system calls are blocked, as by an older Docker profile).
func LandlockABI() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

// restrictFiles makes readOnly read-only, and hidden unreadable and
// read-only, for this process and what it executes, and when exec is not
// nil lets it execute only the files exec lists (by inode: a file put in
// one's place cannot be executed), leaving everything else as it was. Landlock only allows: the rights are granted on every
// tree that contains none of those paths, down to their siblings; what
// lies directly in one of their ancestor directories can be read and
// written but not made or removed. Symlinks are not followed (a rule on
// one would grant its target). tcp's handled directions allow only its
// ports (ABI 4+). On a kernel without Landlock it does nothing, and
// without ABI 4 it leaves TCP alone; the caller reports that.
func restrictFiles(readOnly, hidden, exec []string, tcp netwatch.TCPPorts) error {
	// A path named through a symlink (/var/run -> /run) is reached by its
	// real one, which grant would otherwise cover whole.
	readOnly, hidden = withRealPaths(readOnly), withRealPaths(hidden)
	var handled landlock.AccessFSSet
	grants := map[string]landlock.AccessFSSet{}
	if len(readOnly)+len(hidden) > 0 {
		handled |= writeDirRights
		grant(grants, "/", append(slices.Clone(readOnly), hidden...), writeDirRights)
	}
	if len(hidden) > 0 {
		handled |= readRights
		grant(grants, "/", hidden, readRights)
	}
	if exec != nil {
		handled |= ll.AccessFSExecute
		for _, p := range exec {
			grants[p] |= ll.AccessFSExecute
		}
	}
	var rules []landlock.Rule
	for path, rights := range grants {
		rules = append(rules, landlock.PathAccess(rights, path).IgnoreIfMissing())
	}
	net, netRules := tcpRules(tcp)
	// The scopes keep the app from vigil, as for every app (confine_linux.go).
	cfg := landlock.MustConfig(handled, net, landlock.ScopedSet(linux.LandlockScopes)).BestEffort()
	return cfg.Restrict(append(rules, netRules...)...)
}

// tcpRules are the rights and rules of tcp's handled directions.
func tcpRules(tcp netwatch.TCPPorts) (landlock.AccessNetSet, []landlock.Rule) {
	var handled landlock.AccessNetSet
	var rules []landlock.Rule
	if tcp.HandleConnect {
		handled |= ll.AccessNetConnectTCP
		for _, p := range tcp.Connect {
			rules = append(rules, landlock.ConnectTCP(p))
		}
	}
	if tcp.HandleBind {
		handled |= ll.AccessNetBindTCP
		for _, p := range tcp.Bind {
			rules = append(rules, landlock.BindTCP(p))
		}
	}
	return handled, rules
}

// grant adds rights to grants for every tree under dir that contains no
// path of except, recursing into the directories that do. A file gets the
// rights that apply to files.
func grant(grants map[string]landlock.AccessFSSet, dir string, except []string, rights landlock.AccessFSSet) {
	for _, e := range except {
		if e == dir {
			return
		}
	}
	if !slices.ContainsFunc(except, func(e string) bool { return under(e, dir) }) {
		grants[dir] |= rights
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // nothing under it is granted: it stays read-only
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch {
		case e.Type()&os.ModeSymlink != 0:
		case e.IsDir():
			grant(grants, path, except, rights)
		case !slices.Contains(except, path):
			if r := rights & (writeFileRights | readRights); r != 0 {
				grants[path] |= r
			}
		}
	}
}

// under reports whether path is strictly below dir.
func under(path, dir string) bool { return path != dir && filewatch.IsUnder(path, dir) }

// withRealPaths is paths and, for each that resolves to another, the path
// it resolves to.
func withRealPaths(paths []string) []string {
	out := slices.Clone(paths)
	for _, p := range paths {
		if real := realPath(p); real != p && !slices.Contains(out, real) {
			out = append(out, real)
		}
	}
	return out
}

// realPath is p with its symlinks resolved; a p that does not exist (yet)
// resolves through its deepest existing ancestor.
func realPath(p string) string {
	rest := ""
	for dir := p; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		if dir == "/" || dir == "." {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}
