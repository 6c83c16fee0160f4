package client

import (
	"context"
	"time"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// APIKeyScope narrows what a key may do.
type APIKeyScope struct {
	// Rights is a mask of the owner's rights; 0 means all of them.
	Rights Rights
	// Collections the key may touch; empty means all.
	Collections []string
	// Admin lets the key reach the admin listener (its owner must be an admin).
	Admin bool
}

// NewAPIKey describes a key to create.
type NewAPIKey struct {
	Name string
	// ExpiresIn is the key's lifetime; 0 takes the server's default.
	ExpiresIn time.Duration
	Scope     APIKeyScope
	// Owner is whose key it is: empty for the caller; another user's needs
	// an admin.
	Owner string
}

// CreatedAPIKey holds a new key. Key is shown only this once.
type CreatedAPIKey struct {
	ID        string
	Key       string
	ExpiresAt time.Time
}

// APIKey describes a key; the key itself is never shown again.
type APIKey struct {
	ID        string
	Name      string
	Owner     string
	CreatedBy string
	Created   time.Time
	ExpiresAt time.Time
	LastUsed  time.Time
	// RotatedUntil is when the previous key stops working after a rotation.
	RotatedUntil time.Time
	Scope        APIKeyScope
}

// CreateAPIKey creates an API key.
func (c *Client) CreateAPIKey(ctx context.Context, k NewAPIKey) (CreatedAPIKey, error) {
	res, err := c.keys.Create(ctx, connect.NewRequest(&rampartv1.CreateAPIKeyRequest{
		Name: k.Name, ExpiresIn: int64(k.ExpiresIn / time.Second), Owner: k.Owner,
		Scope: &rampartv1.APIKeyScope{Rights: uint32(k.Scope.Rights), Collections: k.Scope.Collections, Admin: k.Scope.Admin},
	}))
	return createdKey(res, err)
}

// ListAPIKeys lists the keys of owner ("" for the caller's own).
func (c *Client) ListAPIKeys(ctx context.Context, owner string) ([]APIKey, error) {
	res, err := c.keys.List(ctx, connect.NewRequest(&rampartv1.ListAPIKeysRequest{Owner: owner}))
	if err != nil {
		return nil, convert(err)
	}
	out := make([]APIKey, 0, len(res.Msg.GetKeys()))
	for _, k := range res.Msg.GetKeys() {
		s := k.GetScope()
		out = append(out, APIKey{
			ID: k.GetId(), Name: k.GetName(), Owner: k.GetOwner(), CreatedBy: k.GetCreatedBy(),
			Created: unix(k.GetCreatedUnix()), ExpiresAt: unix(k.GetExpiresAtUnix()),
			LastUsed: unix(k.GetLastUsedUnix()), RotatedUntil: unix(k.GetRotatedUntilUnix()),
			Scope: APIKeyScope{Rights: Rights(s.GetRights()), Collections: s.GetCollections(), Admin: s.GetAdmin()},
		})
	}
	return out, nil
}

// RotateAPIKey issues a new key for id; the old one keeps working for the
// server's rotation grace.
func (c *Client) RotateAPIKey(ctx context.Context, id string) (CreatedAPIKey, error) {
	res, err := c.keys.Rotate(ctx, connect.NewRequest(&rampartv1.APIKeyIDRequest{Id: id}))
	return createdKey(res, err)
}

// RevokeAPIKey ends a key at once.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	_, err := c.keys.Revoke(ctx, connect.NewRequest(&rampartv1.APIKeyIDRequest{Id: id}))
	return convert(err)
}

func createdKey(res *connect.Response[rampartv1.CreatedAPIKey], err error) (CreatedAPIKey, error) {
	if err != nil {
		return CreatedAPIKey{}, convert(err)
	}
	return CreatedAPIKey{ID: res.Msg.GetId(), Key: res.Msg.GetKey(), ExpiresAt: unix(res.Msg.GetExpiresAtUnix())}, nil
}
