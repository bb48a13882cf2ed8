package admin

import "context"

// providersPage says whether the Providers page exists yet: the provider
// store is being wired in on another branch.
const providersPage = false

// providerSummary names a tenant's configured providers. ready is false
// while the engine has no provider store to ask.
func (h *Handler) providerSummary(ctx context.Context, tenantID string) (names []string, ready bool, err error) {
	return nil, false, nil
}
