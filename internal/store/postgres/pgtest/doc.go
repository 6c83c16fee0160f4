// Package pgtest gives tests a private PostgreSQL schema on the server named
// by RAMPART_TEST_POSTGRES. Without the variable tests skip with a clear
// message, except in CI (CI=true), where they fail: integration tests must
// never skip there. It must never touch any schema it did not create.
package pgtest
