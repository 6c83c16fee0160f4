package guard

import (
	"context"
	"net"
	"net/http"
	"strings"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

// MaxCredential bounds a credential header before any parsing.
const MaxCredential = 8 << 10

// Authenticator resolves a credential into its caller; identity.Service is one.
type Authenticator interface {
	Authenticate(ctx context.Context, cred string) (identity.Caller, error)
}

var _ Authenticator = (*identity.Service)(nil)

// Credential reads a request's one credential: Authorization: Bearer with
// an access token or an API key, or X-API-Key with an API key. Both headers
// at once is a client mistake, refused rather than guessed at.
func Credential(h http.Header) (string, error) {
	auth, keys := h.Get("Authorization"), h.Values("X-API-Key")
	switch {
	case len(keys) > 1 || len(keys) == 1 && auth != "":
		return "", errs.E(errs.InvalidArgument, "send one credential: either Authorization or X-API-Key")
	case len(keys) == 1:
		key := strings.TrimSpace(keys[0])
		if len(key) > MaxCredential || !strings.HasPrefix(key, identity.APIKeyPrefix) {
			return "", errs.E(errs.Unauthenticated, "X-API-Key takes an API key (%s...)", identity.APIKeyPrefix)
		}
		return key, nil
	case auth == "":
		return "", errs.E(errs.Unauthenticated, "missing bearer token")
	}
	if len(auth) > MaxCredential {
		return "", errs.E(errs.Unauthenticated, "authorization header too long")
	}
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", errs.E(errs.Unauthenticated, "use Authorization: Bearer <token>")
	}
	return strings.TrimSpace(tok), nil
}

// Authenticate resolves the credential in h into the caller it speaks for.
func Authenticate(ctx context.Context, a Authenticator, h http.Header) (identity.Caller, error) {
	cred, err := Credential(h)
	if err != nil {
		return identity.Caller{}, err
	}
	return a.Authenticate(ctx, cred)
}

// Meta is what a request tells about its client: the host of its remote
// address (the whole address when it has no port, as a unix peer) and its
// user agent.
func Meta(remoteAddr, userAgent string) identity.Meta {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	return identity.Meta{Addr: host, UserAgent: userAgent}
}
