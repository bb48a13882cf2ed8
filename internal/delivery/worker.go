package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
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

// NamedSender is a Sender with the provider name recorded on deliveries.
type NamedSender struct {
	Name   string
	Sender Sender
}

// Senders returns a tenant's senders for a channel in priority order.
type Senders interface {
	Senders(ctx context.Context, tenantID, channel string) ([]NamedSender, error)
}

// Worker sends one delivery per job.
type Worker struct {
	river.WorkerDefaults[Args]
	store   *store.Store
	senders Senders
	log     *slog.Logger
	now     func() time.Time
	// MaxAttempts bounds retries (River's attempts, the first included).
	maxAttempts int
}

// NewWorker returns a Worker. now may be nil.
func NewWorker(s *store.Store, senders Senders, maxAttempts int, log *slog.Logger, now func() time.Time) *Worker {
	if now == nil {
		now = time.Now
	}
	if maxAttempts <= 0 {
		maxAttempts = 8
	}
	return &Worker{store: s, senders: senders, log: log, now: now, maxAttempts: maxAttempts}
}

// Timeout bounds one attempt, all providers included.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return time.Minute }

// NextRetry spreads attempts over about half an hour: 15 s, 1 min, 2¼ min,
// 4 min, ... (quadratic), each with ±20% jitter so a recovering provider is
// not hit by every queued message at the same moment.
func (w *Worker) NextRetry(job *river.Job[Args]) time.Time {
	base := time.Duration(job.Attempt*job.Attempt) * 15 * time.Second
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(base))
	return w.now().Add(base + jitter)
}

// Work sends the delivery through the tenant's providers in priority order.
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
	senders, err := w.senders.Senders(ctx, d.TenantID, d.Channel)
	if err != nil {
		return err
	}
	msg := Message{DeliveryID: d.ID, TenantID: d.TenantID, EventID: d.EventID, Channel: d.Channel, To: d.Recipient, Subject: d.Subject, Text: d.Body, HTML: d.HTML}
	var errs []string
	allPermanent := true
	var snooze time.Duration
	last := ""
	for _, s := range senders {
		last = s.Name
		receipt, err := s.Sender.Send(ctx, msg)
		if err == nil {
			return w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliverySent, Attempts: job.Attempt, Provider: s.Name, ProviderMessageID: receipt.ProviderMessageID})
		}
		w.log.WarnContext(ctx, "delivery attempt failed", "delivery_id", d.ID, "provider", s.Name, "attempt", job.Attempt, "err", err)
		errs = append(errs, s.Name+": "+err.Error())
		var rl *RateLimitedError
		switch {
		case errors.As(err, &rl):
			allPermanent = false
			if snooze == 0 || rl.RetryAfter < snooze {
				snooze = max(rl.RetryAfter, time.Second)
			}
		case !IsPermanent(err):
			allPermanent = false
		}
	}
	reason := strings.Join(errs, "; ")
	if len(senders) == 0 {
		reason = "no provider configured for " + d.Channel
	}
	switch {
	case allPermanent:
		if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryFailed, Attempts: job.Attempt, Provider: last, LastError: reason}); err != nil {
			return err
		}
		return river.JobCancel(errors.New(reason))
	case job.Attempt >= w.maxAttempts:
		if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryFailed, Attempts: job.Attempt, Provider: last, LastError: reason}); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("gave up after %d attempts: %s", job.Attempt, reason))
	case snooze > 0 && len(errs) == len(senders):
		if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: job.Attempt, Provider: last, LastError: reason}); err != nil {
			return err
		}
		return river.JobSnooze(snooze)
	default:
		if err := w.update(ctx, d, store.DeliveryUpdate{Status: store.DeliveryRetrying, Attempts: job.Attempt, Provider: last, LastError: reason}); err != nil {
			return err
		}
		return errors.New(reason)
	}
}

func (w *Worker) update(ctx context.Context, d store.Delivery, u store.DeliveryUpdate) error {
	u.At = w.now()
	return w.store.UpdateDelivery(ctx, d.TenantID, d.ID, u)
}

// Queue is the delivery queue of a River client over SQLite.
type Queue struct {
	Client *river.Client[*sql.Tx]
}

// QueueConfig tunes the River client.
type QueueConfig struct {
	Workers int // concurrent deliveries per channel
	// FetchPollInterval is how often workers look for new jobs; SQLite has
	// no LISTEN/NOTIFY, so this bounds enqueue-to-start latency.
	FetchPollInterval time.Duration
}

// NewQueue builds a River client on the store's writer handle with w registered.
// Pass w == nil for an insert-only client (the CLI).
func NewQueue(s *store.Store, w *Worker, cfg QueueConfig, log *slog.Logger) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 50
	}
	if cfg.FetchPollInterval <= 0 {
		cfg.FetchPollInterval = 20 * time.Millisecond
	}
	rc := &river.Config{Logger: log}
	if w != nil {
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{
			QueueEmail: {MaxWorkers: cfg.Workers},
			QueueSMS:   {MaxWorkers: cfg.Workers},
		}
		rc.FetchCooldown = 2 * time.Millisecond
		rc.FetchPollInterval = cfg.FetchPollInterval
		rc.JobTimeout = 2 * time.Minute
		// A job left "running" by a crashed process is retried after this.
		rc.RescueStuckJobsAfter = 5 * time.Minute
		rc.MaxAttempts = w.maxAttempts
	}
	c, err := river.NewClient(riversqlite.New(s.Write), rc)
	if err != nil {
		return nil, fmt.Errorf("delivery: river client: %w", err)
	}
	return &Queue{Client: c}, nil
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

// Outbox is the default provider: it keeps each message in the database,
// where the admin UI shows it, instead of sending it anywhere.
type Outbox struct {
	Store *store.Store
	Now   func() time.Time
}

// Send stores msg; storing the same delivery twice keeps one copy.
func (o *Outbox) Send(ctx context.Context, msg Message) (Receipt, error) {
	id := "obx_" + strings.TrimPrefix(msg.DeliveryID, "dlv_")
	err := o.Store.SaveOutboxMessage(ctx, store.OutboxMessage{
		ID: id, DeliveryID: msg.DeliveryID, TenantID: msg.TenantID, Channel: msg.Channel,
		Recipient: msg.To, Subject: msg.Subject, Body: msg.Text, HTML: msg.HTML, CreatedAt: o.Now(),
	})
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ProviderMessageID: id}, nil
}

// OutboxOnly routes every channel of every tenant to the outbox.
type OutboxOnly struct{ Outbox *Outbox }

// Senders returns the outbox.
func (o OutboxOnly) Senders(context.Context, string, string) ([]NamedSender, error) {
	return []NamedSender{{Name: "outbox", Sender: o.Outbox}}, nil
}

var _ rivertype.JobArgs = Args{}
