package events

import "errors"

var (
	// ErrUnsupportedSchema is returned by Decode for an event whose schema
	// version this package does not read.
	ErrUnsupportedSchema = errors.New("unsupported event schema")
	// ErrInvalid matches every validation problem of an event.
	ErrInvalid = errors.New("invalid event")
	// ErrClosed is returned by a Sink's Emit after Close.
	ErrClosed = errors.New("sink closed")
	// ErrDropped matches the error of an Emit whose event the sink did
	// not keep and has counted, to report in a dropped event: the
	// producer need not report it again.
	ErrDropped = errors.New("event dropped")
)
