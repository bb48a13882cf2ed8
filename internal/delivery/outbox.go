package delivery

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

// Outbox is the default provider: it keeps each message in the database,
// where the admin UI shows it, instead of sending it anywhere.
//
// The zero value with Store and Now set is ready to use.
type Outbox struct {
	Store *store.Store
	Now   func() time.Time

	// Concurrent SendRecorded calls share transactions: while one batch
	// commits, the next one gathers (see SendRecorded).
	mu      sync.Mutex
	pending []*outboxCompletion
	leading bool // a caller is committing a batch
}

// outboxCompletion is one SendRecorded call waiting for its batch.
type outboxCompletion struct {
	ctx  context.Context
	c    store.OutboxCompletion
	done chan outboxResult // buffered, receives once
}

// outboxResult ends a wait: the call's outcome, or lead to commit the next batch.
type outboxResult struct {
	err  error
	lead bool
}

// maxOutboxBatch bounds one transaction of SendRecorded calls.
const maxOutboxBatch = 256

// Send stores msg; storing the same delivery twice keeps one copy.
func (o *Outbox) Send(ctx context.Context, msg Message) (Receipt, error) {
	m := o.message(msg)
	if err := o.Store.SaveOutboxMessage(ctx, m); err != nil {
		return Receipt{}, err
	}
	return Receipt{ProviderMessageID: m.ID}, nil
}

// SendRecorded stores msg and marks its delivery sent in one transaction
// (see LocalSender); doing it twice keeps one copy and the first sent time.
//
// Calls made while another one commits are committed together in the next
// transaction, by one of the callers: the delivery workers run side by
// side and the SQLite writer is one connection, so per-call transactions
// would each pay a commit (WAL frames written, pages of the same b-trees
// written again) while the others wait for the connection. A batch that
// fails is retried one call at a time, so one bad delivery cannot fail
// the others.
func (o *Outbox) SendRecorded(ctx context.Context, msg Message, sent store.DeliveryUpdate) error {
	m := o.message(msg)
	sent.ProviderMessageID = m.ID
	me := &outboxCompletion{ctx: ctx, c: store.OutboxCompletion{Message: m, Sent: sent}, done: make(chan outboxResult, 1)}
	o.mu.Lock()
	o.pending = append(o.pending, me)
	if o.leading {
		o.mu.Unlock()
		// The wait ignores ctx: it lasts one or two commits (each bounded
		// by its own timeout), and a call that left the queue early could
		// not be told it was chosen to lead the next batch.
		if r := <-me.done; !r.lead {
			return r.err
		}
		o.mu.Lock() // lead: commit what has gathered, this call included
	} else {
		o.leading = true
	}
	batch := o.pending[:min(len(o.pending), maxOutboxBatch)]
	o.pending = o.pending[len(batch):]
	o.mu.Unlock()

	o.commit(batch)

	o.mu.Lock()
	if len(o.pending) > 0 {
		o.pending[0].done <- outboxResult{lead: true}
	} else {
		o.leading = false
	}
	o.mu.Unlock()
	for _, c := range batch {
		if c == me {
			r := <-me.done
			return r.err
		}
	}
	// Not reached: a leader's own call is always in its batch, because a
	// call is only woken to lead when it is first in the queue.
	return nil
}

// commit stores a batch and hands every call its outcome.
func (o *Outbox) commit(batch []*outboxCompletion) {
	cs := make([]store.OutboxCompletion, len(batch))
	for i, c := range batch {
		cs[i] = c.c
	}
	// The batch belongs to several callers: one caller's cancellation
	// must not fail the others', so it runs on its own deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := o.Store.CompleteOutboxDeliveries(ctx, cs)
	cancel()
	if err == nil || len(batch) == 1 {
		for _, c := range batch {
			c.done <- outboxResult{err: err}
		}
		return
	}
	for _, c := range batch {
		c.done <- outboxResult{err: o.Store.CompleteOutboxDelivery(c.ctx, c.c.Message, c.c.Sent)}
	}
}

func (o *Outbox) message(msg Message) store.OutboxMessage {
	return store.OutboxMessage{
		ID: "obx_" + strings.TrimPrefix(msg.DeliveryID, "dlv_"), DeliveryID: msg.DeliveryID, TenantID: msg.TenantID, Channel: msg.Channel,
		Recipient: msg.To, Subject: msg.Subject, Body: msg.Text, HTML: msg.HTML, CreatedAt: o.Now(),
	}
}
