package devicetest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// A Guardian.Android request body is a java.util.HashMap serialized by
// Gson (new GsonBuilder().create()): its members come in the HashMap's
// iteration order, which depends on the keys' String.hashCode and the
// table's capacity, and its strings are escaped HTML-safe. This file
// reproduces both, so that the device sends the SDK's bytes.

// member is one entry of a Java map, in insertion order.
type member struct {
	key   string
	value any // string, int64, bool, or []member for a nested map
	cap   int // for a nested map: its HashMap's final table capacity
}

// javaHashCode is java.lang.String.hashCode over UTF-16 code units.
func javaHashCode(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// hashMapOrder returns ms in the iteration order of a java.util.HashMap of
// table capacity cap (a power of two) into which they were put in order:
// by bucket, hash(key) = h ^ (h >>> 16) masked by cap − 1, and in
// insertion order within a bucket (no bucket here is long enough to
// become a tree; resizes keep the relative order within a bucket).
func hashMapOrder(ms []member, cap int) []member {
	out := append([]member(nil), ms...)
	bucket := func(k string) int {
		h := uint32(javaHashCode(k))
		return int((h ^ (h >> 16)) & uint32(cap-1))
	}
	sort.SliceStable(out, func(i, j int) bool { return bucket(out[i].key) < bucket(out[j].key) })
	return out
}

// hashMapCapacity is the table capacity of a HashMap made with
// new HashMap<>(initial) (initial 0 for new HashMap<>()) after n puts of
// distinct keys, with the default load factor of 0.75.
func hashMapCapacity(initial, n int) int {
	c := 16
	if initial > 0 {
		c = 1
		for c < initial {
			c <<= 1
		}
	}
	for n > int(float64(c)*0.75) {
		c <<= 1
	}
	return c
}

// gson serializes the map ms as Gson does.
func gson(ms []member, cap int) string {
	var b strings.Builder
	writeMap(&b, ms, cap)
	return b.String()
}

func writeMap(b *strings.Builder, ms []member, cap int) {
	b.WriteByte('{')
	for i, m := range hashMapOrder(ms, cap) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, m.key)
		b.WriteByte(':')
		switch v := m.value.(type) {
		case string:
			writeString(b, v)
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case []member:
			writeMap(b, v, m.cap)
		default:
			panic(fmt.Sprintf("devicetest: gson: unsupported %T", v))
		}
	}
	b.WriteByte('}')
}

// writeString writes s as Gson's JsonWriter does with HTML-safe escaping
// (Gson's default): ", \ and the C0 controls escaped, \n \r \t \b \f by
// name, and < > & = ' U+2028 U+2029 as \uXXXX.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '<', '>', '&', '=', '\'', '\u2028', '\u2029':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
