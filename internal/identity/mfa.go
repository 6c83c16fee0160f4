package identity

import "context"

// secondFactor decides what follows a correct password: a challenge when the
// user has a second factor, an enrol-only session when one is required but
// missing, or a full session.
func (s *Service) secondFactor(ctx context.Context, user string, m Meta) (*MFAChallenge, bool, error) {
	return nil, false, nil
}
