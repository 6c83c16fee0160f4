package query

import "testing"

// fixtureObjects are varied documents: integers and floats, strings with
// case, unicode and newlines, booleans, nulls, missing fields, nested
// objects, arrays of scalars and of objects. Numbers nested in arrays keep a
// single spelling (see doc.go).
var fixtureObjects = []string{
	`{"a": 1, "b": "apple", "flag": true, "n": {"x": 1, "y": "p"}, "tags": ["red", "blue"], "items": [{"name": "bolt", "qty": 5}]}`,
	`{"a": 2, "b": "Banana", "flag": false, "n": {"x": 2.5, "y": "q"}, "tags": ["green"], "items": [{"name": "nut", "qty": 1}, {"name": "bolt", "qty": 2}]}`,
	`{"a": 3.5, "b": "cherry", "n": {"x": -1, "z": {"deep": true}}, "tags": [], "items": []}`,
	`{"a": -7, "b": "apple pie", "flag": null, "tags": ["red"], "nums": [1, 2, 3]}`,
	`{"a": 0, "b": "", "n": null, "tags": "red", "nums": [10, 20]}`,
	`{"a": "1", "b": "date", "n": {"x": "1"}, "tags": [1, 2], "nums": [2.5, 7]}`,
	`{"a": true, "b": "Elder", "n": {"x": true}, "tags": ["blue", "red"], "nums": []}`,
	`{"a": false, "b": "fig", "n": {}, "tags": [["red"]], "items": [{"name": "screw"}]}`,
	`{"a": null, "b": "grape", "n": {"x": null}, "items": [{"name": "bolt", "qty": 10}, "bolt"]}`,
	`{"b": "hello world", "n": {"y": "hello"}, "tags": [null], "s": "Hello World"}`,
	`{"a": [1, 2], "b": "hello\nworld", "s": "first line\nsecond line"}`,
	`{"a": {"k": 1}, "b": "Ångström", "s": "naïve café"}`,
	`{"a": [], "b": "zeta", "s": "KELVIN", "nums": [3, 1]}`,
	`{"a": {}, "b": "Zeta", "s": "kelvin"}`,
	`{"a": 100, "b": "10", "s": "abc123", "nums": [100]}`,
	`{"a": 1.0, "b": "9", "s": "the cat sat", "flag": true}`,
	`{"a": 1e3, "b": "a'b", "s": "it's; DROP TABLE docs; --"}`,
	`{"a": -0.5, "b": "a\"b", "s": "tab\there"}`,
	`{"a": 12345678901, "b": "%_", "s": "100%"}`,
	`{"a": 2, "b": "apple", "flag": true, "n": {"x": 2, "y": "q"}, "tags": ["red", "green", "blue"]}`,
	`{"a": 5, "b": "mango", "n": {"x": 5, "y": "r", "z": {"deep": false}}, "items": [{"name": "nut", "qty": 3}, {"name": "washer", "qty": 7}]}`,
	`{"a": 6, "b": "nectarine", "n": {"x": [1, 2]}, "tags": ["x", "y", "z"]}`,
	`{"a": 7, "b": "orange", "n": {"x": {"v": 1}}, "items": [{"qty": 4}]}`,
	`{"a": 8, "b": "papaya", "flag": false, "tags": [true, false]}`,
	`{"a": 9, "b": "quince", "n": {"y": null}, "items": [{"name": null, "qty": 0}]}`,
	`{"a": 10, "b": "raspberry", "tags": [{"c": "red"}]}`,
	`{"a": "10", "b": "strawberry", "s": "Strawberry Fields"}`,
	`{"a": "apple", "b": "tangerine", "s": "apple"}`,
	`{"a": "Apple", "b": "ugli", "s": "APPLE"}`,
	`{"a": "", "b": "vanilla", "s": ""}`,
	`{"a": "b", "b": "watermelon", "s": "word boundary"}`,
	`{"a": "é", "b": "xigua", "s": "émigré"}`,
	`{"b": "yam"}`,
	`{"x": 1}`,
	`{"a": 4, "b": "apple", "flag": true, "nums": [4, 5, 6], "items": [{"name": "bolt", "qty": 1}, {"name": "nut", "qty": 9}]}`,
	`{"a": 4.25, "b": "kiwi", "flag": false, "n": {"x": 4, "y": "s"}}`,
	`{"a": -100, "b": "lime", "n": {"x": -100}, "tags": ["red", "red"]}`,
	`{"a": 3, "b": "lemon", "n": {"x": 3, "y": "p"}, "tags": ["blue"], "nums": [0]}`,
	`{"a": 0.1, "b": "LIME", "n": {"x": 0.1}, "s": "line1\nline2\nend"}`,
	`{"a": [1, [2]], "b": "plum", "nums": [1, 2, 3], "tags": ["a", "b"]}`,
}

func fixtureDocs(t testing.TB) []testDoc { return makeDocs(t, fixtureObjects) }
