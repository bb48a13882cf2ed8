package admin

import "context"

// providerSummary names a tenant's configured providers. ready is false
// while the engine has no provider store to ask.
func (h *Handler) providerSummary(ctx context.Context, tenantID string) (names []string, ready bool, err error) {
	return nil, false, nil
}
