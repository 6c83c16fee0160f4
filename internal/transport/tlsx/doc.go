// Package tlsx gives every Rampart listener TLS that is secure by default.
//
// It makes and keeps a local certificate authority and server certificate
// when no certificates are configured (EnsureLocal), serves a configured
// certificate pair that is reloaded when its files change (Reloader), and
// builds the one server tls.Config all listeners share (ServerConfig):
// TLS 1.2 or newer, forward-secret AEAD suites only, HTTP/2 offered, and
// client certificates required and verified when a client CA is configured.
//
// This package must never weaken that config on its own (no older versions,
// no CBC or RSA key-exchange suites, no InsecureSkipVerify), never write a
// private key readable by anyone but its owner or non-atomically, never
// replace an existing CA key it cannot read, and never bring a server down
// because a reloaded certificate is bad: the last good one keeps serving.
package tlsx
