// Package storetest is the conformance suite every storage engine runs. An
// engine is done when Run passes against it, not before. The suite talks to
// the engine only through the store contract, and must never assume which
// engine it is testing.
package storetest
