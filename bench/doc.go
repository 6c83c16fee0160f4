// Command rampart-bench is Rampart's load generator. It drives a running
// server over HTTPS with many concurrent clients, each on its own HTTP/1.1
// keep-alive connection, sets up its own users, roles and data through the
// REST API, and prints one table per invocation: requests, errors, rate and
// latency percentiles per scenario. Everything it sets up and measures goes
// through the public and admin listeners, as a client's traffic would; it
// must never reach into the server's storage. The one exception is the
// -inprocess profiling mode, which creates its node's first admin the way
// `rampart admin create` does.
package main
