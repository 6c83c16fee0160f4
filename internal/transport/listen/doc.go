// Package listen hardens what every Rampart listener accepts and answers:
// a cap on open connections per client address (PerAddress), the security
// headers every HTTP response carries (Headers), and lifting the per-request
// deadlines for streaming calls (Streaming).
//
// It works on net.Listener, net.Conn and http.Handler only, so the HTTP
// listeners and the socket transports share it. It must never read from a
// connection it refuses, never keep state for an address that holds no
// connection, and never loosen a header a handler made stricter.
package listen
