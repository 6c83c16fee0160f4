// Package jsonx decodes untrusted JSON strictly: valid UTF-8 only, one value,
// no duplicate object keys, bounded size and nesting, numbers kept exact as
// json.Number. Every refusal is a typed invalid_argument (or too_large)
// error. It must never accept input that encoding/json would silently
// repair, such as invalid UTF-8 or a repeated key whose first value vanishes.
package jsonx
