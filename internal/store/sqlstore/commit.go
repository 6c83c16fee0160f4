package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"rampart.dev/rampart/internal/store"
)

// batchTimeout bounds one group commit so a stuck engine cannot hold writers
// forever.
const batchTimeout = 30 * time.Second

type writeReq struct {
	ctx  context.Context
	fn   func(context.Context, *sql.Tx) error
	done chan error
}

// committer is the single writer of a store. Concurrent writes queue up and
// run together in one transaction, each under its own savepoint so one
// failing write does not undo the others; every caller is answered after the
// commit that holds its write. One fsync thus covers a whole batch.
type committer struct {
	db       *sql.DB
	begin    string // run first in every transaction, e.g. a lock
	maxBatch int
	reqs     chan *writeReq
	quit     chan struct{}
	stopped  chan struct{}
	onCommit func()
}

func newCommitter(db *sql.DB, begin string, maxBatch int, onCommit func()) *committer {
	c := &committer{
		db: db, begin: begin, maxBatch: maxBatch, onCommit: onCommit,
		reqs: make(chan *writeReq), quit: make(chan struct{}), stopped: make(chan struct{}),
	}
	go c.loop()
	return c
}

// do runs fn in the next batch and waits for the batch's commit. fn gets the
// batch's context, not ctx: cancelling one caller must not interrupt a
// statement that shares a transaction with others.
func (c *committer) do(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-c.quit:
		return store.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write may commit, so wait for the verdict rather than
	// report a cancellation that might be false.
	return <-r.done
}

func (c *committer) close() {
	close(c.quit)
	<-c.stopped
}

func (c *committer) loop() {
	defer close(c.stopped)
	for {
		var first *writeReq
		select {
		case first = <-c.reqs:
		case <-c.quit:
			return
		}
		batch := []*writeReq{first}
	drain:
		for len(batch) < c.maxBatch {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.run(batch)
	}
}

// run commits one batch and answers every request in it.
func (c *committer) run(batch []*writeReq) {
	errs := make([]error, len(batch))
	committed, err := c.runTx(batch, errs)
	// Before anyone is answered: a caller's next read must not meet a
	// cache the commit has made stale (its own new collection settings).
	if committed && c.onCommit != nil {
		c.onCommit()
	}
	for i, r := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		r.done <- errs[i]
	}
}

func (c *committer) runTx(batch []*writeReq, errs []error) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin write: %w", err)
	}
	defer tx.Rollback()
	if c.begin != "" {
		if _, err := tx.ExecContext(ctx, c.begin); err != nil {
			return false, fmt.Errorf("begin write: %w", err)
		}
	}
	if len(batch) == 1 {
		// Alone in the batch: no savepoint needed, a failure rolls back.
		if errs[0] = runOne(ctx, batch[0], tx); errs[0] != nil {
			return false, nil
		}
	} else if err := runSavepoints(ctx, batch, errs, tx); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

func runOne(ctx context.Context, r *writeReq, tx *sql.Tx) (err error) {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	// A panicking write must fail alone, not take the single writer down.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return r.fn(ctx, tx)
}

func runSavepoints(ctx context.Context, batch []*writeReq, errs []error, tx *sql.Tx) error {
	for i, r := range batch {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		if errs[i] = runOne(ctx, r, tx); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
				return fmt.Errorf("rollback to savepoint: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	return nil
}
