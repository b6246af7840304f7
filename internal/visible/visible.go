// Package visible says whether text shows anything to the person reading
// it: passwords and method names made only of spaces, zero-width or
// filler characters look empty on a screen and are refused (issue 16
// items 4 and 5).
package visible

import "unicode"

// blanks are graphic characters (letters or symbols by category) that
// render as nothing: the Hangul fillers and the blank Braille pattern.
var blanks = &unicode.RangeTable{R16: []unicode.Range16{
	{Lo: 0x115f, Hi: 0x1160, Stride: 1},
	{Lo: 0x2800, Hi: 0x2800, Stride: 1},
	{Lo: 0x3164, Hi: 0x3164, Stride: 1},
	{Lo: 0xffa0, Hi: 0xffa0, Stride: 1},
}}

// Invisible reports whether r shows nothing by itself: white space,
// control and format characters (category Cf: zero-width spaces and
// joiners, bidi controls such as U+202E), default-ignorable code points
// (variation selectors, U+034F, …), the Hangul fillers and U+2800, and
// combining marks, which show only on a base character.
func Invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(blanks, r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r)
}

// Has reports whether s has at least one character that is not Invisible.
func Has(s string) bool {
	for _, r := range s {
		if !Invisible(r) {
			return true
		}
	}
	return false
}

// Format reports whether r is a format character (Unicode category Cf):
// bidi overrides and isolates, zero-width space, joiners, word joiner,
// the byte-order mark, soft hyphen, …
func Format(r rune) bool { return unicode.Is(unicode.Cf, r) }
