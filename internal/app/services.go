package app

import (
	"context"
	"fmt"
	"log/slog"

	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/identity/password"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/token"
)

// Services are the services of one node.
type Services struct {
	Docs     *docs.Service
	Identity *identity.Service
	Keys     *token.Keys
}

// NewServices builds the services over st and makes sure the built-in
// collection and roles exist.
func NewServices(ctx context.Context, cfg config.Config, st store.Store, bus identity.Bus, log *slog.Logger) (*Services, error) {
	hasher, err := password.NewHasher(passwordParams(cfg.Auth.Password), cfg.Auth.Password.MaxConcurrent)
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	keys, err := token.New(ctx, identity.KeyStore(st), token.Config{
		Issuer: Issuer(cfg), Audience: cfg.Auth.Audience,
		TTL: cfg.Auth.AccessTokenTTL.Duration(), Rotation: cfg.Auth.SigningKeyRotation.Duration(),
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	id := identity.New(st, hasher, keys, identity.Options{
		AdminsBypass: cfg.ACL.AdminsBypass, LocalLogin: cfg.Auth.Local.Enabled,
		MinPasswordLength: cfg.Auth.Password.MinLength, MaxPasswordLength: cfg.Auth.Password.MaxLength,
		SessionTTL: cfg.Auth.Refresh.TTL.Duration(), IdleTTL: cfg.Auth.Refresh.IdleTTL.Duration(),
		ReuseGrace:       cfg.Auth.Refresh.ReuseGrace.Duration(),
		MFARequiredRoles: cfg.Auth.MFA.RequiredRoles, MFATokenTTL: cfg.Auth.MFA.TokenTTL.Duration(),
		LockoutMaxFailures: cfg.Auth.Lockout.MaxFailures, LockoutWindow: cfg.Auth.Lockout.Window.Duration(),
		LockoutDuration: cfg.Auth.Lockout.Duration.Duration(), Registration: cfg.Auth.Registration.Enabled,
		APIKeyDefaultTTL: cfg.Auth.APIKeys.DefaultTTL.Duration(), APIKeyMaxTTL: cfg.Auth.APIKeys.MaxTTL.Duration(),
		APIKeyRotationGrace: cfg.Auth.APIKeys.RotationGrace.Duration(),
		Bus:                 bus, Log: log,
	})
	if err := id.EnsureBuiltins(ctx); err != nil {
		return nil, fmt.Errorf("built-in roles: %w", err)
	}
	if err := id.Listen(); err != nil {
		return nil, fmt.Errorf("subscribe to revocations: %w", err)
	}
	d := docs.New(st, docs.Options{
		MaxDocument: int(cfg.Limits.MaxDocument), MaxDepth: cfg.Limits.MaxDepth,
		DefaultPageSize: cfg.Limits.DefaultPageSize, MaxPageSize: cfg.Limits.MaxPageSize,
		Query: queryLimits(cfg.Limits.Query), AutoCreate: cfg.Collections.AutoCreate, Log: log,
	})
	return &Services{Docs: d, Identity: id, Keys: keys}, nil
}

func passwordParams(p config.Password) password.Params {
	out := password.DefaultParams()
	out.Time = uint32(p.Argon2Time)
	out.MemoryKiB = uint32(p.Argon2Memory / 1024)
	out.Threads = uint8(p.Argon2Threads)
	return out
}

func queryLimits(q config.QueryLimits) query.Limits {
	return query.Limits{
		MaxBytes: int(q.MaxBytes), MaxDepth: q.MaxDepth, MaxNodes: q.MaxNodes,
		MaxIn: q.MaxIn, MaxRegex: q.MaxRegex, MaxStages: q.MaxStages,
	}
}

// Issuer is the configured token issuer, or the public listener's URL.
func Issuer(cfg config.Config) string {
	if cfg.Auth.Issuer != "" {
		return cfg.Auth.Issuer
	}
	scheme := "https"
	if cfg.Listen.InsecureHTTP {
		scheme = "http"
	}
	return scheme + "://" + cfg.Listen.Public
}
