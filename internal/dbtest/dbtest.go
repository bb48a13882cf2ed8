// Package dbtest gives tests an isolated PostgreSQL database or schema, and
// the Redis URL, from the environment. Tests that need them skip with a clear
// message when the variables are not set, so `go test ./...` passes on a
// machine without PostgreSQL or Redis.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by the helpers.
const (
	// PostgresEnv names an admin URL (it may create databases and schemas),
	// e.g. postgres://postgres@127.0.0.1:5432/test.
	PostgresEnv = "ORQESTRA_TEST_POSTGRES_URL"
	// RedisEnv names a Redis URL, e.g. redis://127.0.0.1:6379/0.
	RedisEnv = "ORQESTRA_TEST_REDIS_URL"
)

// AdminURL returns the admin URL, or skips the test.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		t.Skipf("PostgreSQL test skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run it", PostgresEnv)
	}
	return u
}

// RedisURL returns the Redis URL, or skips the test.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(RedisEnv)
	if u == "" {
		t.Skipf("Redis test skipped: set %s (e.g. redis://127.0.0.1:6379/0) to run it", RedisEnv)
	}
	return u
}

// Schema creates a fresh schema for this test and returns a URL whose
// search_path selects it; the schema is dropped when the test ends. Cheap
// enough for every store test.
func Schema(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	name := "t_" + randomName()
	exec(t, admin, `CREATE SCHEMA `+name)
	t.Cleanup(func() { exec(t, admin, `DROP SCHEMA `+name+` CASCADE`) })
	return withParam(t, admin, "search_path", name)
}

// Database creates a fresh database for this test and returns its URL; the
// database is dropped when the test ends. Use it where separate processes
// share the data, as several engine nodes do.
func Database(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	name := "orqestra_t_" + randomName()
	exec(t, admin, `CREATE DATABASE `+name)
	t.Cleanup(func() { exec(t, admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func withParam(t testing.TB, raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, admin, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("dbtest: %s: %v", sql, err)
	}
}

func randomName() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}
