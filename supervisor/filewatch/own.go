package filewatch

// Own is one of vigil's own paths, watched for changes by others
// (WatchOptions.Own).
type Own struct {
	Path string
	// Verify, for a directory vigil writes itself (the outbox), judges a
	// change to its entry name ("" for the directory itself), op as in
	// Report, closedWrite when a file open for writing was closed: nil
	// when it is vigil's own doing. Without it, Path is a file vigil only
	// reads, judged against what it was when the watch started.
	Verify func(name, op string, closedWrite bool) error
}
