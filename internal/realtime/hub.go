package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/centrifugal/centrifuge"
)

// Config tunes the realtime node.
type Config struct {
	// HistorySize and HistoryTTL bound what is kept per user channel so a
	// client that reconnects recovers what it missed.
	HistorySize int
	HistoryTTL  time.Duration
	// CheckOrigin decides whether a WebSocket upgrade from a browser origin is
	// allowed. nil allows only same-host origins (and non-browser clients).
	CheckOrigin func(r *http.Request) bool
	// RedisURL, when set (redis://[user:password@]host:port[/db]), makes
	// the node use centrifuge's Redis broker and presence manager: a
	// publication on any node reaches clients on every node, and channel
	// history (for recovery) is shared.
	RedisURL string
	// ClientQueueMaxSize bounds each connection's outgoing queue (bytes).
	ClientQueueMaxSize int
}

// Hub is the embedded centrifuge node with Orqestra's rules.
type Hub struct {
	node   *centrifuge.Node
	tokens *Tokens
	cfg    Config
	log    *slog.Logger
	ws     http.Handler
	redis  *centrifuge.RedisShard // nil without Redis
}

type tenantKey struct{}

// NewHub builds the node and its handlers; call Run to start it.
func NewHub(cfg Config, tokens *Tokens, log *slog.Logger) (*Hub, error) {
	if cfg.HistorySize <= 0 {
		cfg.HistorySize = 32
	}
	if cfg.HistoryTTL <= 0 {
		cfg.HistoryTTL = 10 * time.Minute
	}
	node, err := centrifuge.New(centrifuge.Config{
		LogLevel:           centrifuge.LogLevelWarn,
		LogHandler:         func(e centrifuge.LogEntry) { log.Warn("centrifuge: "+e.Message, "fields", e.Fields) },
		ClientQueueMaxSize: cfg.ClientQueueMaxSize,
		// Keep stream metadata (for recovery positions) a while longer than
		// the publications themselves.
		HistoryMetaTTL: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("realtime: %w", err)
	}
	h := &Hub{node: node, tokens: tokens, cfg: cfg, log: log}
	if cfg.RedisURL != "" {
		if err := h.useRedis(cfg.RedisURL); err != nil {
			return nil, err
		}
	}
	node.OnConnecting(h.onConnecting)
	node.OnConnect(h.onConnect)
	h.ws = centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		CheckOrigin:      cfg.CheckOrigin,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		MessageSizeLimit: 64 << 10,
		// Pooled write buffers keep idle connections small.
		UseWriteBufferPool: true,
	})
	return h, nil
}

// useRedis switches the node to the Redis broker and presence manager.
func (h *Hub) useRedis(url string) error {
	shard, err := centrifuge.NewRedisShard(h.node, centrifuge.RedisShardConfig{Address: url, ClientName: "orqestra"})
	if err != nil {
		// The shard's error may quote the address: keep a password out of logs.
		return errors.New("realtime: invalid Redis URL or Redis unreachable")
	}
	broker, err := centrifuge.NewRedisBroker(h.node, centrifuge.RedisBrokerConfig{Prefix: redisPrefix, Shards: []*centrifuge.RedisShard{shard}})
	if err != nil {
		shard.Close()
		return fmt.Errorf("realtime: redis broker: %w", err)
	}
	presence, err := centrifuge.NewRedisPresenceManager(h.node, centrifuge.RedisPresenceManagerConfig{Prefix: redisPrefix, Shards: []*centrifuge.RedisShard{shard}})
	if err != nil {
		shard.Close()
		return fmt.Errorf("realtime: redis presence: %w", err)
	}
	h.node.SetBroker(broker)
	h.node.SetPresenceManager(presence)
	h.redis = shard
	return nil
}

// redisPrefix namespaces centrifuge's keys and channels in a shared Redis.
const redisPrefix = "orqestra"

// Node exposes the centrifuge node (for brokers and metrics).
func (h *Hub) Node() *centrifuge.Node { return h.node }

// Run starts the node.
func (h *Hub) Run() error { return h.node.Run() }

// Shutdown disconnects clients and stops the node.
func (h *Hub) Shutdown(ctx context.Context) error {
	err := h.node.Shutdown(ctx)
	if h.redis != nil {
		h.redis.Close()
	}
	return err
}

// WebsocketHandler serves /connection/websocket.
func (h *Hub) WebsocketHandler() http.Handler { return h.ws }

// Publish sends data to a user's channel, keeping it in the channel history
// for recovery.
func (h *Hub) Publish(tenantID, userID string, data []byte) error {
	_, err := h.node.Publish(Channel(tenantID, userID), data,
		centrifuge.WithHistory(h.cfg.HistorySize, h.cfg.HistoryTTL))
	if err != nil {
		return fmt.Errorf("realtime: publish: %w", err)
	}
	return nil
}

// Connections is the number of clients connected to this node.
func (h *Hub) Connections() int { return h.node.Hub().NumClients() }

func (h *Hub) onConnecting(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
	if e.Token == "" {
		return centrifuge.ConnectReply{}, centrifuge.DisconnectInvalidToken
	}
	c, err := h.tokens.Verify(e.Token)
	if errors.Is(err, ErrTokenExpired) {
		return centrifuge.ConnectReply{}, centrifuge.ErrorTokenExpired
	}
	if err != nil {
		return centrifuge.ConnectReply{}, centrifuge.DisconnectInvalidToken
	}
	return centrifuge.ConnectReply{
		Context:           context.WithValue(ctx, tenantKey{}, c.Tenant),
		Credentials:       &centrifuge.Credentials{UserID: c.Subject, ExpireAt: c.ExpiresAt.Unix()},
		ClientSideRefresh: true,
	}, nil
}

func (h *Hub) onConnect(client *centrifuge.Client) {
	tenant, _ := client.Context().Value(tenantKey{}).(string)
	client.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
		if tenant == "" || e.Channel != Channel(tenant, client.UserID()) {
			cb(centrifuge.SubscribeReply{}, centrifuge.ErrorPermissionDenied)
			return
		}
		cb(centrifuge.SubscribeReply{Options: centrifuge.SubscribeOptions{EnableRecovery: true, EnablePositioning: true}}, nil)
	})
	client.OnRefresh(func(e centrifuge.RefreshEvent, cb centrifuge.RefreshCallback) {
		c, err := h.tokens.Verify(e.Token)
		if errors.Is(err, ErrTokenExpired) {
			cb(centrifuge.RefreshReply{Expired: true}, nil)
			return
		}
		if err != nil || c.Subject != client.UserID() || c.Tenant != tenant {
			cb(centrifuge.RefreshReply{}, centrifuge.DisconnectInvalidToken)
			return
		}
		cb(centrifuge.RefreshReply{ExpireAt: c.ExpiresAt.Unix()}, nil)
	})
}
