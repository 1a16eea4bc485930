package linux

// Credential is what a process drops to before it execs its app. The zero
// value changes nothing.
type Credential struct {
	// SetUser switches to UID and GID (real, effective and saved).
	SetUser  bool
	UID, GID uint32
	// SetGroups replaces the supplementary groups with Groups; switching
	// user without it clears them, as docker run --user does.
	SetGroups bool
	Groups    []uint32
	// SetCaps keeps exactly Caps (capability numbers): the others leave
	// the bounding set too, so nothing the app execs can get them back.
	// For a non-root user the kept ones are raised in the inheritable and
	// ambient sets, so that the app has them after execve. A non-root user
	// without SetCaps keeps none (and nothing inheritable); root without
	// it keeps vigil's.
	SetCaps bool
	Caps    []int
}

// IsZero reports whether c changes nothing.
func (c Credential) IsZero() bool {
	return !c.SetUser && !c.SetGroups && !c.SetCaps
}
