package query

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// PostgreSQL's ~ uses its own regex dialect (ARE), which reads many RE2
// constructs differently: \b is a backspace, '.' and [^x] match newlines
// by default, \w follows the locale, and case folding follows the locale.
// So the RE2 pattern is parsed by Go and written back as an ARE that spells
// every construct out: characters as \u escapes, classes as explicit code
// point ranges, case folding as classes, and anchors and word boundaries as
// lookaround. Matching is a yes/no question here, so greediness is dropped.

const (
	pgWordClass = `[0-9A-Za-z_]`
	pgNoMatch   = `(?=a)b`
)

func toPostgresRegex(re *syntax.Regexp) string {
	var sb strings.Builder
	writePG(&sb, re)
	return sb.String()
}

func writePG(sb *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpNoMatch:
		sb.WriteString(pgNoMatch)
	case syntax.OpEmptyMatch:
		sb.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			writePGLiteral(sb, r, re.Flags&syntax.FoldCase != 0)
		}
	case syntax.OpCharClass:
		writePGClass(sb, re.Rune)
	case syntax.OpAnyCharNotNL:
		sb.WriteString(`[^\u000a]`)
	case syntax.OpAnyChar:
		sb.WriteString(`(?:.|\u000a)`)
	default:
		writePGComposite(sb, re)
	}
}

func writePGComposite(sb *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpBeginLine:
		sb.WriteString(`(?:\A|(?<=\u000a))`)
	case syntax.OpEndLine:
		sb.WriteString(`(?:\Z|(?=\u000a))`)
	case syntax.OpBeginText:
		sb.WriteString(`\A`)
	case syntax.OpEndText:
		sb.WriteString(`\Z`)
	case syntax.OpWordBoundary:
		sb.WriteString(`(?:(?<=` + pgWordClass + `)(?!` + pgWordClass + `)|(?<!` + pgWordClass + `)(?=` + pgWordClass + `))`)
	case syntax.OpNoWordBoundary:
		sb.WriteString(`(?:(?<=` + pgWordClass + `)(?=` + pgWordClass + `)|(?<!` + pgWordClass + `)(?!` + pgWordClass + `))`)
	case syntax.OpCapture:
		writePGGroup(sb, re.Sub[0], "")
	case syntax.OpStar:
		writePGGroup(sb, re.Sub[0], "*")
	case syntax.OpPlus:
		writePGGroup(sb, re.Sub[0], "+")
	case syntax.OpQuest:
		writePGGroup(sb, re.Sub[0], "?")
	case syntax.OpRepeat:
		writePGGroup(sb, re.Sub[0], repeatSuffix(re.Min, re.Max))
	case syntax.OpConcat:
		for _, s := range re.Sub {
			writePG(sb, s)
		}
	case syntax.OpAlternate:
		sb.WriteString("(?:")
		for i, s := range re.Sub {
			if i > 0 {
				sb.WriteByte('|')
			}
			writePG(sb, s)
		}
		sb.WriteByte(')')
	default:
		sb.WriteString(pgNoMatch) // every op is listed above
	}
}

func writePGGroup(sb *strings.Builder, sub *syntax.Regexp, suffix string) {
	sb.WriteString("(?:")
	writePG(sb, sub)
	sb.WriteString(")")
	sb.WriteString(suffix)
}

func repeatSuffix(min, max int) string {
	switch {
	case max == -1:
		return fmt.Sprintf("{%d,}", min)
	case min == max:
		return fmt.Sprintf("{%d}", min)
	}
	return fmt.Sprintf("{%d,%d}", min, max)
}

// writePGLiteral writes one character, as the class of its case variants
// when folding, using Go's simple folding so both engines agree.
func writePGLiteral(sb *strings.Builder, r rune, fold bool) {
	if !fold || unicode.SimpleFold(r) == r {
		writePGRune(sb, r)
		return
	}
	sb.WriteByte('[')
	for f := r; ; {
		writePGRune(sb, f)
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	sb.WriteByte(']')
}

func writePGRune(sb *strings.Builder, r rune) {
	switch {
	case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		sb.WriteRune(r)
	case r <= 0xFFFF:
		fmt.Fprintf(sb, `\u%04x`, r)
	default:
		fmt.Fprintf(sb, `\U%08x`, r)
	}
}

// writePGClass writes Go's resolved ranges. NUL cannot occur in PostgreSQL
// text and surrogates are not characters, so both are left out.
func writePGClass(sb *strings.Builder, ranges []rune) {
	var parts []string
	for i := 0; i+1 < len(ranges); i += 2 {
		parts = appendPGRange(parts, ranges[i], ranges[i+1])
	}
	if len(parts) == 0 {
		sb.WriteString(pgNoMatch)
		return
	}
	sb.WriteByte('[')
	sb.WriteString(strings.Join(parts, ""))
	sb.WriteByte(']')
}

func appendPGRange(parts []string, lo, hi rune) []string {
	if lo < 1 {
		lo = 1
	}
	if lo <= 0xDFFF && hi >= 0xD800 {
		parts = appendPGRange(parts, lo, 0xD7FF)
		return appendPGRange(parts, 0xE000, hi)
	}
	if lo > hi {
		return parts
	}
	var sb strings.Builder
	writePGRune(&sb, lo)
	if hi > lo {
		sb.WriteByte('-')
		writePGRune(&sb, hi)
	}
	return append(parts, sb.String())
}
