package identity

import (
	"context"

	"rampart.dev/rampart/internal/errs"
)

// apiKeyPrefix starts every API key: rk_<id>_<secret>.
const apiKeyPrefix = "rk_"

func (s *Service) authenticateKey(ctx context.Context, key string) (Caller, error) {
	return Caller{}, errs.E(errs.Unauthenticated, "API keys are not accepted yet")
}
