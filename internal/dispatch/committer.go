package dispatch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

// Enqueuer adds the delivery jobs of committed deliveries inside the same
// transaction (River's transactional enqueue).
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, deliveries []store.Delivery) error
}

// ErrClosed is returned for writes submitted after the committer stopped.
var ErrClosed = errors.New("dispatch: committer closed")

// Committer is a group commit: concurrent triggers are written together in
// one transaction, and every caller is answered only after that commit. A
// SQLite commit costs about as much for one row as for hundreds, so this is
// what lets one node acknowledge thousands of durable events per second.
type Committer struct {
	store    *store.Store
	enqueue  Enqueuer
	log      *slog.Logger
	maxBatch int

	reqs      chan *pending
	closeOnce sync.Once
	closing   chan struct{}
	done      chan struct{}
}

type pending struct {
	ctx     context.Context
	write   *store.EventWrite
	outcome store.WriteOutcome
	err     error
	done    chan struct{}
}

// NewCommitter starts a committer; Close stops it after draining.
func NewCommitter(s *store.Store, enqueue Enqueuer, maxBatch int, log *slog.Logger) *Committer {
	if maxBatch <= 0 {
		maxBatch = 512
	}
	c := &Committer{
		store: s, enqueue: enqueue, log: log, maxBatch: maxBatch,
		reqs:    make(chan *pending, maxBatch*4),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.loop()
	return c
}

// Commit writes w durably and reports what happened to it.
func (c *Committer) Commit(ctx context.Context, w *store.EventWrite) (store.WriteOutcome, error) {
	p := &pending{ctx: ctx, write: w, done: make(chan struct{})}
	select {
	case c.reqs <- p:
	case <-c.closing:
		return 0, ErrClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// Once queued, the write is committed whatever happens to the caller, so
	// wait for it without giving up on ctx: the answer must match the truth.
	<-p.done
	return p.outcome, p.err
}

// Close stops accepting writes, commits what is queued, and returns.
func (c *Committer) Close() {
	c.closeOnce.Do(func() { close(c.closing) })
	<-c.done
}

// linger is how long a batch waits for more writes once the committer is
// busy (the previous batch had company). A SQLite commit writes every dirty
// page to the WAL, one write per frame, so it costs about the same for one
// event as for dozens: gathering the writes of a few hundred microseconds
// makes each cheaper, and the wait is small next to the commit itself. An
// idle server (batches of one) never waits.
const linger = 250 * time.Microsecond

func (c *Committer) loop() {
	defer close(c.done)
	batch := make([]*pending, 0, c.maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	busy := false
	for {
		batch = batch[:0]
		select {
		case p := <-c.reqs:
			batch = append(batch, p)
		case <-c.closing:
			// Drain what was queued before closing.
			for {
				select {
				case p := <-c.reqs:
					c.commit([]*pending{p})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < c.maxBatch {
			select {
			case p := <-c.reqs:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		if busy && len(batch) < c.maxBatch {
			timer.Reset(linger)
		wait:
			for len(batch) < c.maxBatch {
				select {
				case p := <-c.reqs:
					batch = append(batch, p)
				case <-timer.C:
					break wait
				}
			}
			timer.Stop()
		}
		busy = len(batch) > 1
		c.commit(batch)
	}
}

// commit writes a batch; if the batch as a whole fails, each write is tried
// alone so one bad write cannot fail the others.
func (c *Committer) commit(batch []*pending) {
	err := c.commitTx(batch)
	if err != nil && len(batch) > 1 {
		c.log.Warn("group commit failed; committing writes one by one", "size", len(batch), "err", err)
		for _, p := range batch {
			p.err = c.commitTx([]*pending{p})
			close(p.done)
		}
		return
	}
	for _, p := range batch {
		p.err = err
		close(p.done)
	}
}

func (c *Committer) commitTx(batch []*pending) error {
	// The batch is written on behalf of many callers: none of their contexts
	// may abort it, but it must not hang forever either.
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	tx, err := c.store.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	writes := make([]*store.EventWrite, len(batch))
	for i, p := range batch {
		writes[i] = p.write
	}
	outcomes := make([]store.WriteOutcome, len(batch))
	if err := c.store.WriteEvents(ctx, tx, writes, outcomes); err != nil {
		return err
	}
	var jobs []store.Delivery
	for i, w := range writes {
		if outcomes[i] == store.Written {
			jobs = append(jobs, w.Deliveries...)
		}
	}
	if len(jobs) > 0 && c.enqueue != nil {
		if err := c.enqueue.EnqueueTx(ctx, tx, jobs); err != nil {
			return fmt.Errorf("dispatch: enqueue deliveries: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dispatch: commit: %w", err)
	}
	for i, p := range batch {
		p.outcome = outcomes[i]
	}
	return nil
}
