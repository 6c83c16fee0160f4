// Package hlc is a hybrid logical clock: timestamps that follow wall time but
// never go backwards and always grow, so changes made on different sites can
// be ordered. It must never read anything but the injected wall clock.
package hlc
