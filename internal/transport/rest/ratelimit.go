package rest

import (
	"net/http"
	"strconv"

	"rampart.dev/rampart/internal/errs"
)

// limited applies the per-address rate limit of anonymous endpoints. Every
// anonymous endpoint draws from the same bucket of an address, which the
// RPC surface shares when the node hands both the same limiter.
func (a *API) limited(h handler) handler {
	if a.limits == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		err := a.limits.Admit(r.RemoteAddr)
		if err == nil {
			return h(w, r)
		}
		if secs, ok := errs.DetailsOf(err)["retry_after"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		return err
	}
}
