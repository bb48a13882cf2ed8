// Package config turns flags and ORQESTRA_* environment variables into one
// typed Config. Flags win over the environment, which wins over defaults.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is the engine's configuration.
type Config struct {
	// Addr is the listen address (ORQESTRA_ADDR, default ":8080").
	Addr string
	// DatabaseURL is "sqlite:PATH" (ORQESTRA_DATABASE_URL, default "sqlite:orqestra.db").
	DatabaseURL string
	// TokenSecret signs realtime/user tokens (ORQESTRA_TOKEN_SECRET). When
	// empty, one is generated on first start and kept in the database.
	TokenSecret string
	// SecretKey encrypts provider credentials (ORQESTRA_SECRET_KEY, 32 bytes
	// as base64 or hex). When empty, one is generated and kept in the database.
	SecretKey string
	// CORSOrigins are browser origins allowed for every tenant
	// (ORQESTRA_CORS_ORIGINS, comma-separated; "*" allows any).
	CORSOrigins []string
	// RedisURL switches realtime and rate limits to Redis (ORQESTRA_REDIS_URL).
	RedisURL string
	// LogLevel is debug, info, warn or error (ORQESTRA_LOG_LEVEL, default info).
	LogLevel slog.Level
	// LogFormat is text or json (ORQESTRA_LOG_FORMAT, default text).
	LogFormat string
	// ShutdownTimeout bounds graceful shutdown (ORQESTRA_SHUTDOWN_TIMEOUT, default 15s).
	ShutdownTimeout time.Duration
	// DeliveryWorkers is concurrent deliveries per channel (ORQESTRA_DELIVERY_WORKERS, default 50).
	DeliveryWorkers int
	// DeliveryMaxAttempts bounds retries of a delivery (ORQESTRA_DELIVERY_MAX_ATTEMPTS, default 8).
	DeliveryMaxAttempts int
	// DeliveryRetryWindow is roughly how long a failing delivery keeps
	// retrying: its attempts are spread over it with growing waits
	// (ORQESTRA_DELIVERY_RETRY_WINDOW, default 30m).
	DeliveryRetryWindow time.Duration
	// DeliveryRescueAfter is when a delivery left running by a crashed
	// process runs again (ORQESTRA_DELIVERY_RESCUE_AFTER, default 5m, at
	// least 2m, the job timeout).
	DeliveryRescueAfter time.Duration
	// CacheTTL is how long API keys and templates are cached in memory
	// (ORQESTRA_CACHE_TTL, default 1s): changes made by another process
	// apply within it.
	CacheTTL time.Duration
	// HistorySize and HistoryTTL bound the realtime history kept per user
	// channel for reconnect recovery (ORQESTRA_REALTIME_HISTORY_SIZE,
	// default 32; ORQESTRA_REALTIME_HISTORY_TTL, default 10m).
	HistorySize int
	HistoryTTL  time.Duration
	// TokenTTL is how long user/realtime tokens live (ORQESTRA_TOKEN_TTL,
	// default 2h, the seed's contract).
	TokenTTL time.Duration
	// Demo serves /demo, a live bell on a built-in Demo tenant
	// (ORQESTRA_DEMO, default true; set false in production).
	Demo bool
	// MetricsToken, when set, is required as "Authorization: Bearer <token>"
	// on /metrics (ORQESTRA_METRICS_TOKEN); without it /metrics is open
	// (its labels carry no tenant or user ids).
	MetricsToken string
	// AdminToken signs in to the admin UI (ORQESTRA_ADMIN_TOKEN).
	AdminToken string
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Addr:                ":8080",
		DatabaseURL:         "sqlite:orqestra.db",
		LogLevel:            slog.LevelInfo,
		LogFormat:           "text",
		ShutdownTimeout:     15 * time.Second,
		DeliveryWorkers:     50,
		DeliveryMaxAttempts: 8,
		DeliveryRetryWindow: 30 * time.Minute,
		DeliveryRescueAfter: 5 * time.Minute,
		CacheTTL:            time.Second,
		HistorySize:         32,
		HistoryTTL:          10 * time.Minute,
		TokenTTL:            2 * time.Hour,
		Demo:                true,
	}
}

// FromEnv reads the ORQESTRA_* variables over the defaults.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration like 15s", name, v))
				return
			}
			*dst = d
		}
	}
	num := func(name string, dst *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a non-negative integer", name, v))
				return
			}
			*dst = n
		}
	}
	str("ORQESTRA_ADDR", &c.Addr)
	str("ORQESTRA_DATABASE_URL", &c.DatabaseURL)
	c.TokenSecret = getenv("ORQESTRA_TOKEN_SECRET")
	c.SecretKey = getenv("ORQESTRA_SECRET_KEY")
	c.AdminToken = getenv("ORQESTRA_ADMIN_TOKEN")
	c.MetricsToken = getenv("ORQESTRA_METRICS_TOKEN")
	str("ORQESTRA_REDIS_URL", &c.RedisURL)
	if v := getenv("ORQESTRA_CORS_ORIGINS"); v != "" {
		c.CORSOrigins = SplitList(v)
	}
	if v := strings.TrimSpace(getenv("ORQESTRA_LOG_LEVEL")); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("ORQESTRA_LOG_LEVEL: %q is not one of debug, info, warn, error", v))
		}
	}
	str("ORQESTRA_LOG_FORMAT", &c.LogFormat)
	dur("ORQESTRA_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	num("ORQESTRA_DELIVERY_WORKERS", &c.DeliveryWorkers)
	num("ORQESTRA_DELIVERY_MAX_ATTEMPTS", &c.DeliveryMaxAttempts)
	dur("ORQESTRA_DELIVERY_RETRY_WINDOW", &c.DeliveryRetryWindow)
	dur("ORQESTRA_DELIVERY_RESCUE_AFTER", &c.DeliveryRescueAfter)
	dur("ORQESTRA_CACHE_TTL", &c.CacheTTL)
	num("ORQESTRA_REALTIME_HISTORY_SIZE", &c.HistorySize)
	dur("ORQESTRA_REALTIME_HISTORY_TTL", &c.HistoryTTL)
	dur("ORQESTRA_TOKEN_TTL", &c.TokenTTL)
	if v := strings.TrimSpace(getenv("ORQESTRA_DEMO")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ORQESTRA_DEMO: %q is not true or false", v))
		}
		c.Demo = b
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate checks values that flags may also have set.
func (c Config) Validate() error {
	var errs []error
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log format %q: want text or json", c.LogFormat))
	}
	if c.TokenSecret != "" && len(c.TokenSecret) < 32 {
		errs = append(errs, errors.New("ORQESTRA_TOKEN_SECRET must be at least 32 characters"))
	}
	if c.TokenTTL < time.Second {
		errs = append(errs, errors.New("token TTL must be at least 1s"))
	}
	if c.DeliveryMaxAttempts < 1 {
		errs = append(errs, errors.New("delivery max attempts must be at least 1"))
	}
	if c.DeliveryRetryWindow <= 0 {
		errs = append(errs, errors.New("ORQESTRA_DELIVERY_RETRY_WINDOW must be positive"))
	}
	if c.DeliveryRescueAfter < 2*time.Minute {
		errs = append(errs, errors.New("ORQESTRA_DELIVERY_RESCUE_AFTER must be at least 2m (the delivery job timeout)"))
	}
	return errors.Join(errs...)
}

// DatabaseFlag registers --database on fs, defaulting to c.DatabaseURL.
func (c *Config) DatabaseFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "database URL: sqlite:PATH (env ORQESTRA_DATABASE_URL)")
}

// ServeFlags registers the serve command's flags on fs.
func (c *Config) ServeFlags(fs *flag.FlagSet) {
	c.DatabaseFlag(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (env ORQESTRA_ADDR)")
	fs.Func("log-level", "debug, info, warn or error (env ORQESTRA_LOG_LEVEL)", func(v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	})
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (env ORQESTRA_LOG_FORMAT)")
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
