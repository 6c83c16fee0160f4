// Package rest serves Rampart's REST surface (DESIGN.md section 4) over
// net/http: the public API and the admin API on their own handlers, so they
// can listen on different addresses.
//
// It decodes and bounds requests, authenticates the caller, calls the
// document and identity services as that caller, and maps every error once
// to the JSON error body and HTTP status of its code. It must never decide
// who may do what: that is the services' job.
package rest
