// Package query parses Rampart's MongoDB-style query language (filters,
// sort, projection, keyset cursors and a small aggregate pipeline) and
// compiles it into parameterised SQL for SQLite (documents as JSON text) and
// PostgreSQL (documents as jsonb). Filter.Match evaluates the same
// semantics in Go, and tests hold the three to agreement.
//
// It must never put caller text into SQL: every caller value is a bound
// parameter (Builder.Param). Only field paths, which ParsePath holds to a
// strict grammar, and Rampart's own constants are written as literals. It
// never reads tables itself: a pipeline reads only the source query the
// store hands it, which carries the caller's access predicate.
//
// Semantics, identical on both engines and in Match:
//
//   - Equality is typed and whole-value: numbers equal numbers by value
//     (1 = 1.0), strings and booleans only their own kind, arrays and objects
//     whole JSON values. {"a": null} matches a null or missing field. There
//     is no implicit "array contains" for $eq or $in: use $elemMatch.
//   - $ne and $nin are the exact negations of $eq and $in, so they match
//     missing fields. Every compiled predicate is two-valued (never SQL NULL).
//   - $gt/$gte/$lt/$lte take a number or a string and only compare with the
//     same kind; strings compare by bytes.
//   - $regex is RE2 (Go's regexp) with $options i, m and s. SQLite runs it
//     through rampart_regexp, see RegisterSQLiteFunctions; PostgreSQL runs an
//     equivalent pattern rewritten for its own engine.
//   - A digit path segment (tags.0) indexes an array and nothing else.
//   - Sort order: missing and null, numbers, strings (bytes), objects,
//     arrays, booleans (false first); objects and arrays tie; then _id.
//
// Known engine differences: numbers nested inside an array or object are
// compared by value on PostgreSQL but by their text on SQLite ([1] vs
// [1.0]); Rampart writes bodies with encoding/json, so a given number keeps
// one spelling. String range filters on PostgreSQL compare in the "C"
// collation and so cannot use a jsonb expression index; numeric ranges,
// equality and $in do. Sorting does not use expression indexes.
package query
