// Package identity owns users, roles, passwords and sign-in. Users and roles
// are documents in the system collection "users"; their secrets (password
// hashes) and unique names live in store records, never in documents.
//
// It resolves a signed-in user into acl.Principals (the user, every role it
// belongs to transitively, and the built-in users role) and keeps that
// resolution cached, dropping the cache whenever the users collection
// changes, here or on another node. It must never let the data API write the
// users collection, and never let an unknown user and a wrong password be
// told apart.
package identity
