package rpc

import (
	"context"
	"time"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

var apiKeyService = serviceOf(rampartv1.File_rampart_v1_apikeys_proto, "APIKeyService")

// maxExpiresIn keeps the conversion to a duration from overflowing; the
// service refuses anything over the configured maximum anyway.
const maxExpiresIn = int64(100 * 365 * 24 * 60 * 60)

// apiKeyRoutes serve a caller's own keys on the public listener, as REST's
// /api/v1/apikeys does. On the admin listener they serve what REST's
// /api/v1/users/{id}/apikeys does: creating and listing anyone's keys, for
// admins only.
func (s *Server) apiKeyRoutes(admin bool) []route {
	k := apiKeyService
	if admin {
		return []route{
			unary(s, k, "Create", adminsOnly, s.createAPIKey(true)),
			unary(s, k, "List", adminsOnly, s.listAPIKeys(true)),
		}
	}
	return []route{
		unary(s, k, "Create", user, s.createAPIKey(false)),
		unary(s, k, "List", user, s.listAPIKeys(false)),
		unary(s, k, "Revoke", user, s.revokeAPIKey),
		unary(s, k, "Rotate", user, s.rotateAPIKey),
	}
}

// keyOwner keeps the public listener to the caller's own keys: other
// users' keys are an admin matter, served on the admin listener. Whether
// the caller may manage the owner's keys is the identity service's call.
func keyOwner(ctx context.Context, owner string, admin bool) (string, error) {
	if admin || owner == "" || owner == callOf(ctx).caller.User {
		return owner, nil
	}
	return "", errs.E(errs.PermissionDenied, "other users' API keys are managed on the admin listener")
}

func (s *Server) createAPIKey(admin bool) func(context.Context, *rampartv1.CreateAPIKeyRequest) (*rampartv1.CreatedAPIKey, error) {
	return func(ctx context.Context, req *rampartv1.CreateAPIKeyRequest) (*rampartv1.CreatedAPIKey, error) {
		owner, err := keyOwner(ctx, req.GetOwner(), admin)
		if err != nil {
			return nil, err
		}
		kr := identity.APIKeyRequest{Name: req.GetName()}
		if n := req.GetExpiresIn(); n != 0 {
			if n < 0 || n > maxExpiresIn {
				return nil, errs.E(errs.InvalidArgument, "expires_in must be a positive number of seconds within the configured maximum")
			}
			kr.ExpiresIn = time.Duration(n) * time.Second
		}
		if sc := req.GetScope(); sc != nil {
			kr.Scopes = &identity.Scope{Rights: acl.Right(sc.GetRights()), Collections: sc.GetCollections(), Admin: sc.GetAdmin()}
		}
		k, err := s.id.CreateAPIKey(ctx, callOf(ctx).caller, owner, kr)
		if err != nil {
			return nil, err
		}
		return createdKey(k), nil
	}
}

func (s *Server) listAPIKeys(admin bool) func(context.Context, *rampartv1.ListAPIKeysRequest) (*rampartv1.APIKeys, error) {
	return func(ctx context.Context, req *rampartv1.ListAPIKeysRequest) (*rampartv1.APIKeys, error) {
		owner, err := keyOwner(ctx, req.GetOwner(), admin)
		if err != nil {
			return nil, err
		}
		list, err := s.id.ListAPIKeys(ctx, callOf(ctx).caller, owner)
		if err != nil {
			return nil, err
		}
		out := &rampartv1.APIKeys{Keys: make([]*rampartv1.APIKey, len(list))}
		for i, k := range list {
			out.Keys[i] = keyInfo(k)
		}
		return out, nil
	}
}

func (s *Server) revokeAPIKey(ctx context.Context, req *rampartv1.APIKeyIDRequest) (*rampartv1.Empty, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	return &rampartv1.Empty{}, s.id.RevokeAPIKey(ctx, callOf(ctx).caller, req.GetId())
}

func (s *Server) rotateAPIKey(ctx context.Context, req *rampartv1.APIKeyIDRequest) (*rampartv1.CreatedAPIKey, error) {
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	k, err := s.id.RotateAPIKey(ctx, callOf(ctx).caller, req.GetId())
	if err != nil {
		return nil, err
	}
	return createdKey(k), nil
}

func createdKey(k identity.APIKeyCreated) *rampartv1.CreatedAPIKey {
	return &rampartv1.CreatedAPIKey{Id: k.ID, Key: k.Key, ExpiresAtUnix: unix(k.ExpiresAt)}
}

func keyInfo(k identity.APIKeyInfo) *rampartv1.APIKey {
	return &rampartv1.APIKey{
		Id: k.ID, Name: k.Name, Owner: k.Owner, CreatedBy: k.CreatedBy,
		CreatedUnix: unix(k.Created), ExpiresAtUnix: unix(k.ExpiresAt), LastUsedUnix: unix(k.LastUsed), RotatedUntilUnix: unix(k.RotatedUntil),
		Scope: &rampartv1.APIKeyScope{Rights: uint32(k.Scopes.Rights), Collections: k.Scopes.Collections, Admin: k.Scopes.Admin},
	}
}

// unix is t in seconds, 0 for the zero time (never).
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
