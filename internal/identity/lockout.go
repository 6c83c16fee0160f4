package identity

import "context"

// beforeLogin may refuse or delay an attempt on a locked or throttled
// account before any password work; user is "" for unknown names.
func (s *Service) beforeLogin(ctx context.Context, name, user string, m Meta) error { return nil }

// afterLogin records the outcome of a password check.
func (s *Service) afterLogin(ctx context.Context, name, user string, ok bool, m Meta) error {
	return nil
}
