package store

import (
	"context"
	"fmt"
)

// QueueDepth counts delivery jobs still waiting to run: available now,
// scheduled for later, or waiting to retry. River's fetch index leads with
// state, so this reads the index, not the table.
func (s *Store) QueueDepth(ctx context.Context) (int, error) {
	var n int
	err := s.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: queue depth: %w", err)
	}
	return n, nil
}
