package config

import "reflect"

// Changed lists the keys whose values differ between a and b, in
// declaration order, so a reload can say what it applied and what waits
// for a restart.
func Changed(a, b Config) []string {
	fa, fb := fields(&a), fields(&b)
	var out []string
	for i := range fa {
		if !reflect.DeepEqual(fa[i].value.Interface(), fb[i].value.Interface()) {
			out = append(out, fa[i].key)
		}
	}
	return out
}
