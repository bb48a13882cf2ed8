package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/orqestra/orqestra/internal/store"
)

// Args are a delivery job's arguments: ids only; the rendered message is in
// the deliveries table.
type Args struct {
	DeliveryID string `json:"deliveryId"`
	TenantID   string `json:"tenantId"`
}

// Kind names the job for River.
func (Args) Kind() string { return "delivery" }

// Queue names per channel, so a slow SMS provider cannot starve email.
const (
	QueueEmail = "email"
	QueueSMS   = "sms"
)

// NamedSender is a Sender with the provider's id (remembered when it fails
// a delivery permanently) and name (recorded on the delivery).
type NamedSender struct {
	ID     string
	Name   string
	Sender Sender
}

// Senders returns a tenant's senders for a channel in priority order.
type Senders interface {
	Senders(ctx context.Context, tenantID, channel string) ([]NamedSender, error)
}

// RetryPolicy bounds how long a delivery keeps trying.
type RetryPolicy struct {
	// MaxAttempts counts every attempt, the first included (default 8).
	MaxAttempts int
	// Window is roughly the time from the first to the last attempt
	// (default 30 minutes); the waits between attempts grow quadratically
	// inside it.
	Window time.Duration
}

// Defaults of RetryPolicy: about 8 attempts over 30 minutes.
const (
	DefaultMaxAttempts = 8
	DefaultRetryWindow = 30 * time.Minute
)

// defaultSnooze is the wait after a provider's rate limit that named none.
const defaultSnooze = 30 * time.Second

// Recorder counts delivery outcomes (metrics). sinceCommit is the time from
// the delivery's creation (its trigger's commit) to this outcome.
type Recorder interface {
	ObserveDelivery(channel, provider, status string, sinceCommit time.Duration)
}

// Worker sends one delivery per job.
type Worker struct {
	river.WorkerDefaults[Args]
	// Recorder, when set before the queue starts, is told every attempt's outcome.
	Recorder    Recorder
	store       *store.Store
	senders     Senders
	log         *slog.Logger
	now         func() time.Time
	maxAttempts int
	// retryBase is the first wait; the wait after attempt k is k² times it.
	retryBase time.Duration
}

// NewWorker returns a Worker. now may be nil.
func NewWorker(s *store.Store, senders Senders, policy RetryPolicy, log *slog.Logger, now func() time.Time) *Worker {
	if now == nil {
		now = time.Now
	}
	if policy.MaxAttempts <= 0 {
		policy.MaxAttempts = DefaultMaxAttempts
	}
	if policy.Window <= 0 {
		policy.Window = DefaultRetryWindow
	}
	return &Worker{store: s, senders: senders, log: log, now: now, maxAttempts: policy.MaxAttempts,
		retryBase: RetryBase(policy.MaxAttempts, policy.Window)}
}

// RetryBase is the first wait of a schedule whose waits grow as 1², 2², 3²…
// and add up to window over maxAttempts attempts: the sum of k² for k up to
// n is n(n+1)(2n+1)/6, so 8 attempts over 30 minutes wait 13 s, 51 s, 1m56s,
// 3m26s, 5m21s, 7m43s and 10m30s.
func RetryBase(maxAttempts int, window time.Duration) time.Duration {
	n := int64(maxAttempts - 1)
	if n < 1 {
		return window
	}
	return max(window/time.Duration(n*(n+1)*(2*n+1)/6), time.Millisecond)
}

// Timeout bounds one attempt, all providers included.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return time.Minute }

// NextRetry waits attempt² × the base, each with ±20% jitter so a
// recovering provider is not hit by every queued message at the same moment.
func (w *Worker) NextRetry(job *river.Job[Args]) time.Time {
	base := time.Duration(job.Attempt*job.Attempt) * w.retryBase
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(base))
	return w.now().Add(base + jitter)
}

// Work sends the delivery through the tenant's providers in priority order.
// A provider that fails is followed by the next one at once. A provider
// that fails permanently is remembered on the delivery and not tried again
// for it; when every provider has failed permanently, the delivery fails
// with their reasons. Otherwise a provider's rate limit snoozes the job for
// the wait it asked, and any other failure retries with backoff.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	d, err := w.store.Delivery(ctx, job.Args.TenantID, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("delivery %s not found", job.Args.DeliveryID))
	}
	if err != nil {
		return err
	}
	if d.Status == store.DeliverySent {
		return nil // sent by an earlier attempt whose completion was lost
	}
	maxAttempts := job.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = w.maxAttempts
	}
	senders, err := w.senders.Senders(ctx, d.TenantID, d.Channel)
	if err != nil {
		w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: job.Attempt, Provider: d.Provider, LastError: err.Error(), SkipProviders: d.SkipProviders})
		return err
	}
	skip := d.SkipProviders
	// "sending" tells the activity log that a provider holds the message,
	// which matters while an API call or SMTP session is in flight. A
	// local sender's attempt writes its outcome in the same transaction as
	// the message, so for it the extra write only costs the single writer a
	// commit.
	if !allLocal(senders, skip) {
		if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliverySending, Attempts: job.Attempt, Provider: d.Provider, LastError: d.LastError, SkipProviders: skip}); err != nil {
			return err
		}
	}
	msg := Message{DeliveryID: d.ID, TenantID: d.TenantID, EventID: d.EventID, Channel: d.Channel, To: d.Recipient, Subject: d.Subject, Text: d.Body, HTML: d.HTML}
	var errs []string
	retryable := false // a provider may still succeed later
	var snooze time.Duration
	last := d.Provider
	for _, s := range senders {
		if slices.Contains(skip, s.ID) {
			continue
		}
		last = s.Name
		if ls, ok := s.Sender.(LocalSender); ok {
			sent := store.DeliveryUpdate{Status: store.DeliverySent, Attempts: job.Attempt, Provider: s.Name,
				LastError: strings.Join(errs, "; "), SkipProviders: skip, At: w.now()}
			err := ls.SendRecorded(ctx, msg, sent)
			if err == nil {
				w.observe(d, sent)
				return nil
			}
			if errors.Is(ctx.Err(), context.Canceled) {
				w.update(context.WithoutCancel(ctx), d, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: job.Attempt, Provider: s.Name,
					LastError: "interrupted by shutdown; it will run again", SkipProviders: skip})
				return fmt.Errorf("delivery: interrupted: %w", ctx.Err())
			}
			w.log.WarnContext(ctx, "delivery attempt failed", "delivery_id", d.ID, "provider", s.Name, "attempt", job.Attempt, "err", err)
			errs = append(errs, s.Name+": "+err.Error())
			retryable = true // the engine's own database: worth another try
			continue
		}
		receipt, err := s.Sender.Send(ctx, msg)
		if err == nil {
			return w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliverySent, Attempts: job.Attempt, Provider: s.Name,
				ProviderMessageID: receipt.ProviderMessageID, LastError: strings.Join(errs, "; "), SkipProviders: skip})
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			// The engine is stopping: River puts the job back as it was
			// and it runs again on the next start.
			w.update(context.WithoutCancel(ctx), d, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: job.Attempt, Provider: s.Name,
				LastError: "interrupted by shutdown; it will run again", SkipProviders: skip})
			return fmt.Errorf("delivery: interrupted: %w", ctx.Err())
		}
		w.log.WarnContext(ctx, "delivery attempt failed", "delivery_id", d.ID, "provider", s.Name, "attempt", job.Attempt, "err", err)
		errs = append(errs, s.Name+": "+err.Error())
		var rl *RateLimitedError
		switch {
		case errors.As(err, &rl):
			retryable = true
			wait := rl.RetryAfter
			if wait <= 0 {
				wait = defaultSnooze
			}
			if snooze == 0 || wait < snooze {
				snooze = wait
			}
		case IsPermanent(err):
			skip = append(slices.Clip(skip), s.ID)
		default:
			retryable = true
		}
	}
	reason := strings.Join(errs, "; ")
	switch {
	case len(errs) == 0 && len(senders) == 0:
		reason = "no provider configured for " + d.Channel
	case len(errs) == 0:
		reason = "every provider failed permanently: " + d.LastError
	}
	fail := func(reason string) error {
		if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryFailed, Attempts: job.Attempt, Provider: last, LastError: reason, SkipProviders: skip}); err != nil {
			return err
		}
		return river.JobCancel(errors.New(reason))
	}
	switch {
	case !retryable:
		return fail(reason)
	case job.Attempt >= maxAttempts && snooze == 0:
		return fail(fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, reason))
	}
	if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: job.Attempt, Provider: last, LastError: reason, SkipProviders: skip}); err != nil {
		return err
	}
	if snooze > 0 {
		// A snooze does not use up an attempt (River gives it back).
		return river.JobSnooze(snooze)
	}
	return errors.New(reason)
}

func (w *Worker) update(ctx context.Context, d store.Delivery, u store.DeliveryUpdate) error {
	u.At = w.now()
	if err := w.store.UpdateDelivery(ctx, d.TenantID, d.ID, u); err != nil {
		return err
	}
	w.observe(d, u)
	return nil
}

// observe tells the Recorder about an outcome already written.
func (w *Worker) observe(d store.Delivery, u store.DeliveryUpdate) {
	if w.Recorder != nil {
		w.Recorder.ObserveDelivery(d.Channel, u.Provider, u.Status, u.At.Sub(d.CreatedAt))
	}
}

// LocalSender is a Sender whose send is a write to the engine's own
// database: the outbox. The worker has it store the message and record the
// delivery as sent in one transaction, and writes no "sending" status
// before it, so an outbox delivery costs the single SQLite writer one
// commit instead of three.
type LocalSender interface {
	Sender
	// SendRecorded sends msg and, in the same transaction, records sent
	// (a DeliverySent update, its ProviderMessageID left for the sender to
	// fill in) on msg's delivery. Either both are stored or neither is.
	SendRecorded(ctx context.Context, msg Message, sent store.DeliveryUpdate) error
}

// allLocal reports whether every sender an attempt may try is a LocalSender.
func allLocal(senders []NamedSender, skip []string) bool {
	for _, s := range senders {
		if slices.Contains(skip, s.ID) {
			continue
		}
		if _, ok := s.Sender.(LocalSender); !ok {
			return false
		}
	}
	return true
}

// Queue is the delivery queue: River over the store's database.
//
// On SQLite one River client inserts and works jobs. On PostgreSQL two
// clients share River's tables: Client inserts inside the store's *sql.Tx
// (riverdatabasesql), and its insert sends River's NOTIFY in that
// transaction, which a riverpgxv5 client (pgx pool, LISTEN/NOTIFY) hears on
// commit on every node, so a job starts within milliseconds, without polling.
type Queue struct {
	// Client inserts jobs in the store's transactions; on SQLite it also
	// works them.
	Client *river.Client[*sql.Tx]
	// workers works the jobs on PostgreSQL; nil on SQLite.
	workers *river.Client[pgx.Tx]
}

// QueueConfig tunes the River client.
type QueueConfig struct {
	Workers int // concurrent deliveries per channel
	// FetchPollInterval is how often workers look for new jobs. SQLite has
	// no LISTEN/NOTIFY, so there it bounds enqueue-to-start latency; on
	// PostgreSQL it is only a fallback behind notifications.
	FetchPollInterval time.Duration
	// SoftStopTimeout is how long a stop waits for running deliveries
	// before cancelling them; a cancelled delivery is put back and runs
	// again on the next start. 0 waits as long as the stop's context allows.
	SoftStopTimeout time.Duration
	// RescueAfter is when a job left running by a crashed process is run
	// again (default 5 minutes; at least the 2-minute job timeout). With
	// several nodes, another node runs it.
	RescueAfter time.Duration
}

// jobTimeout bounds a job in River; the worker's own Timeout is shorter.
const jobTimeout = 2 * time.Minute

// NewQueue builds River on the store with w registered. Pass w == nil for
// an insert-only queue (the CLI).
func NewQueue(s *store.Store, w *Worker, cfg QueueConfig, log *slog.Logger) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 50
	}
	if cfg.FetchPollInterval <= 0 {
		cfg.FetchPollInterval = 20 * time.Millisecond
		if s.Postgres() {
			cfg.FetchPollInterval = time.Second
		}
	}
	// FetchCooldown also paces an inserting client's NOTIFYs per queue:
	// keep it short so bursts of triggers are not left for the next poll.
	insert := &river.Config{Logger: log, FetchCooldown: 2 * time.Millisecond}
	var work *river.Config
	if w != nil {
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		work = &river.Config{
			Logger:  log,
			Workers: workers,
			Queues: map[string]river.QueueConfig{
				QueueEmail: {MaxWorkers: cfg.Workers},
				QueueSMS:   {MaxWorkers: cfg.Workers},
			},
			FetchCooldown:     2 * time.Millisecond,
			FetchPollInterval: cfg.FetchPollInterval,
			JobTimeout:        jobTimeout,
			// A job left "running" by a crashed process is retried after this.
			RescueStuckJobsAfter: max(cfg.RescueAfter, jobTimeout),
			SoftStopTimeout:      cfg.SoftStopTimeout,
			MaxAttempts:          w.maxAttempts,
		}
		if cfg.RescueAfter == 0 {
			work.RescueStuckJobsAfter = 5 * time.Minute
		}
	}
	if !s.Postgres() {
		rc := insert
		if work != nil {
			rc = work
		}
		c, err := river.NewClient(riversqlite.New(s.Write), rc)
		if err != nil {
			return nil, fmt.Errorf("delivery: river client: %w", err)
		}
		return &Queue{Client: c}, nil
	}
	c, err := river.NewClient(riverdatabasesql.New(s.Write), insert)
	if err != nil {
		return nil, fmt.Errorf("delivery: river client: %w", err)
	}
	q := &Queue{Client: c}
	if work != nil {
		if q.workers, err = river.NewClient(riverpgxv5.New(s.PG), work); err != nil {
			return nil, fmt.Errorf("delivery: river workers: %w", err)
		}
	}
	return q, nil
}

// Start starts working jobs.
func (q *Queue) Start(ctx context.Context) error {
	if q.workers != nil {
		return q.workers.Start(ctx)
	}
	return q.Client.Start(ctx)
}

// Stop stops fetching jobs and waits for running ones to finish (or ctx).
func (q *Queue) Stop(ctx context.Context) error {
	if q.workers != nil {
		return q.workers.Stop(ctx)
	}
	return q.Client.Stop(ctx)
}

// EnqueueTx inserts one job per delivery inside tx.
func (q *Queue) EnqueueTx(ctx context.Context, tx *sql.Tx, deliveries []store.Delivery) error {
	params := make([]river.InsertManyParams, len(deliveries))
	for i, d := range deliveries {
		queue := QueueEmail
		if d.Channel == ChannelSMS {
			queue = QueueSMS
		}
		params[i] = river.InsertManyParams{Args: Args{DeliveryID: d.ID, TenantID: d.TenantID}, InsertOpts: &river.InsertOpts{Queue: queue}}
	}
	_, err := q.Client.InsertManyTx(ctx, tx, params)
	return err
}

var (
	_ rivertype.JobArgs = Args{}
	_ LocalSender       = (*Outbox)(nil)
)
