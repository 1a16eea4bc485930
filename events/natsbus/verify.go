package natsbus

// VerifyOutbox judges a change the kernel reported in the outbox's
// directory: nil when the bus made it (see outbox.Outbox.Verify).
func (b *Bus) VerifyOutbox(name, op string, closedWrite bool) error {
	return b.box.Verify(name, op, closedWrite)
}

// OutboxDir is the directory of the bus's outbox.
func (b *Bus) OutboxDir() string { return b.cfg.Outbox }
