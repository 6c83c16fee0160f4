// Package config is Rampart's one typed configuration: the Config struct, its
// defaults, strict YAML decoding, environment overrides and validation.
//
// The rules it keeps:
//   - Defaults live in Default and nowhere else; a file is decoded on top of
//     them, so a key left out keeps its default and an empty file is valid.
//   - Decoding is strict: an unknown key, a wrong type or an unknown
//     RAMPART_* variable is an error that names the key or variable, so a
//     typo never silently falls back to a default.
//   - Every leaf key is overridable from the environment under one rule:
//     RAMPART_ followed by the key path in upper case joined by underscores
//     (limits.query.max_in is RAMPART_LIMITS_QUERY_MAX_IN). The names come
//     from the struct's yaml tags, so there is no table to forget.
//   - Validate reports every problem at once, each prefixed by its key path.
//
// This package must never open listeners, databases or connections, never
// start anything, and never log: it only turns bytes and variables into a
// Config and says what is wrong with it. Load does not validate; callers run
// Validate before using the result. Print a config only through Redacted,
// which blanks passwords.
package config
