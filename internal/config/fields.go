package config

import (
	"reflect"
	"slices"
	"strings"
)

// envPrefix starts every configuration variable.
const envPrefix = "RAMPART_"

// field is one leaf key of Config, found by walking the yaml tags. The walk
// is the single source of key paths and variable names.
type field struct {
	key   string        // dotted yaml path, e.g. limits.query.max_in
	env   string        // its variable, e.g. RAMPART_LIMITS_QUERY_MAX_IN
	value reflect.Value // settable: the walk starts from a pointer
}

// fields lists every leaf key of c in declaration order.
func fields(c *Config) []field {
	var out []field
	walkFields(reflect.ValueOf(c).Elem(), nil, &out)
	return out
}

func walkFields(v reflect.Value, path []string, out *[]field) {
	t := v.Type()
	for i := range t.NumField() {
		p := append(slices.Clone(path), yamlName(t.Field(i)))
		if fv := v.Field(i); fv.Kind() == reflect.Struct {
			walkFields(fv, p, out)
		} else {
			*out = append(*out, field{key: strings.Join(p, "."), env: envName(p), value: fv})
		}
	}
}

func envName(path []string) string {
	return envPrefix + strings.ToUpper(strings.Join(path, "_"))
}

// yamlName is the key yaml uses for f: the tag's name, or the lower-cased
// field name when the tag leaves it out.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// structKey finds the field of struct type t stored under yaml key.
func structKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func structKeys(t reflect.Type) []string {
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = yamlName(t.Field(i))
	}
	return keys
}

// suggest returns " (did you mean X?)" when a candidate is within a couple
// of edits of name, to turn a typo into a one-look fix. Short names get at
// most one edit so that "foo" suggests nothing rather than "log".
func suggest(name string, candidates []string) string {
	best, bestDist := "", min(3, len(name)/3+1)
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
