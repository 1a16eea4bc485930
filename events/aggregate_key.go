package events

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// Which events fold together. Two events are the same occurrence when they
// are identical in everything a reader sees of them except their id, time
// and count, and the pids of their process (see Aggregator for why). The
// comparison is made on the fields themselves, never on the event's JSON,
// whose id and time always differ: details are compared byte for byte
// (every detail a reader sees, including the raw and decoded arguments of a
// syscall, and any field a newer producer adds), the process by exe, argv,
// uid, gid and the exes of its ancestry.

// foldable reports whether events of kind k are ever folded; the details of
// other kinds differ in ways a count would hide.
func foldable(k Kind) bool { return k == KindSyscall || k == KindFile || k == KindNetwork }

// sameOccurrence reports whether a and b fold together.
func sameOccurrence(a, b Event) bool {
	return a.Kind == b.Kind && a.Rule == b.Rule && a.Severity == b.Severity && a.Action == b.Action &&
		a.Workload == b.Workload && a.Container == b.Container &&
		bytes.Equal(a.Details, b.Details) && sameProcess(a.Process, b.Process)
}

// sameProcess compares everything but the pids.
func sameProcess(a, b *Process) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Exe == b.Exe && a.UID == b.UID && a.GID == b.GID && slices.Equal(a.Argv, b.Argv) &&
		slices.EqualFunc(a.Ancestry, b.Ancestry, func(x, y Ancestor) bool { return x.Exe == y.Exe })
}

// samePIDs compares what sameProcess leaves out.
func samePIDs(a, b *Process) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.PID == b.PID && a.PPID == b.PPID &&
		slices.EqualFunc(a.Ancestry, b.Ancestry, func(x, y Ancestor) bool { return x.PID == y.PID })
}

// hashOf hashes what sameOccurrence compares: equal occurrences have equal
// hashes. Strings are length-prefixed so that moving bytes from one field
// to the next ("a b" or "a", "b" in argv) changes the hash; the seed,
// random per Aggregator, keeps an app from choosing arguments that collide.
func hashOf(seed maphash.Seed, e Event) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	hashString(&h, string(e.Kind))
	hashString(&h, e.Rule)
	hashString(&h, string(e.Severity))
	hashString(&h, string(e.Action))
	hashString(&h, e.Workload)
	hashString(&h, e.Container.ID)
	hashString(&h, e.Container.Image)
	hashString(&h, e.Container.Hostname)
	hashUint(&h, uint64(len(e.Details)))
	h.Write(e.Details)
	if p := e.Process; p != nil {
		hashString(&h, p.Exe)
		hashUint(&h, uint64(p.UID)<<32|uint64(p.GID))
		hashUint(&h, uint64(len(p.Argv)))
		for _, s := range p.Argv {
			hashString(&h, s)
		}
		hashUint(&h, uint64(len(p.Ancestry)))
		for _, a := range p.Ancestry {
			hashString(&h, a.Exe)
		}
	}
	return h.Sum64()
}

func hashString(h *maphash.Hash, s string) {
	hashUint(h, uint64(len(s)))
	h.WriteString(s)
}

func hashUint(h *maphash.Hash, n uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	h.Write(b[:])
}

// heldSize is about how many bytes holding e takes: its strings and details,
// and the structures around them. It bounds the memory of a window, not
// measures it.
func heldSize(e Event) int {
	const overhead = 512 // Event, Process, fold, map entry
	n := overhead + len(e.ID) + len(e.Rule) + len(e.Workload) + len(e.Details) +
		len(e.Container.ID) + len(e.Container.Image) + len(e.Container.Hostname)
	if p := e.Process; p != nil {
		n += len(p.Exe)
		for _, s := range p.Argv {
			n += 16 + len(s)
		}
		for _, a := range p.Ancestry {
			n += 24 + len(a.Exe)
		}
	}
	return n
}
