package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// en100kGz is the 100,000 most common passwords, most common first, one
// per line: the first 100,000 lines of SecLists'
// 10-million-password-list-top-1000000.txt (MIT License, see lists/LICENSE
// and lists/README.md). en_10k is its first 10,000 lines.
//
//go:embed lists/en_100k.txt.gz
var en100kGz []byte

// Sizes of the embedded lists, in source lines.
const (
	en10kLines  = 10_000
	en100kLines = 100_000
)

// wordList is an immutable set of lowercase words: one string holding the
// sorted, de-duplicated words and their end offsets, for a compact,
// allocation-free binary search.
type wordList struct {
	data string
	ends []uint32
}

func (w *wordList) len() int { return len(w.ends) }

func (w *wordList) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = w.ends[i-1]
	}
	return w.data[start:w.ends[i]]
}

// contains reports whether the lowercase word s is in w.
func (w *wordList) contains(s string) bool {
	lo, hi := 0, len(w.ends)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w.at(m) < s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(w.ends) && w.at(lo) == s
}

// newWordList folds words (NFKC, then lowercase), sorts and de-duplicates
// them.
func newWordList(words []string) *wordList {
	folded := make([]string, 0, len(words))
	for _, w := range words {
		if w = fold(w); w != "" {
			folded = append(folded, w)
		}
	}
	slices.Sort(folded)
	folded = slices.Compact(folded)
	var b strings.Builder
	ends := make([]uint32, len(folded))
	for i, w := range folded {
		b.WriteString(w)
		ends[i] = uint32(b.Len())
	}
	return &wordList{data: b.String(), ends: ends}
}

// fold is the case-insensitive form every dictionary and profile
// comparison uses: NFKC (as the password itself), then lowercase.
func fold(s string) string { return strings.ToLower(normalize(s)) }

// The embedded lists are decompressed on first use, once per process, and
// are immutable afterwards.
var (
	en10k  = sync.OnceValues(func() (*wordList, error) { return loadList(en10kLines) })
	en100k = sync.OnceValues(func() (*wordList, error) { return loadList(en100kLines) })
)

// loadList reads the first n lines of the embedded list.
func loadList(n int) (*wordList, error) {
	zr, err := gzip.NewReader(bytes.NewReader(en100kGz))
	if err != nil {
		return nil, fmt.Errorf("password: embedded dictionary: %w", err)
	}
	sc := bufio.NewScanner(zr)
	words := make([]string, 0, n)
	for len(words) < n && sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("password: embedded dictionary line %d is not UTF-8", len(words)+1)
		}
		words = append(words, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("password: embedded dictionary: %w", err)
	}
	if len(words) != n {
		return nil, fmt.Errorf("password: embedded dictionary has %d lines, want %d", len(words), n)
	}
	return newWordList(words), nil
}

// list returns the embedded list l.
func list(l DictionaryList) (*wordList, error) {
	switch l {
	case En10k:
		return en10k()
	case En100k:
		return en100k()
	default:
		return nil, fmt.Errorf("password: unknown dictionary %q", l)
	}
}

// Custom word limits (Config.CustomWords).
const (
	maxCustomWords   = 200
	maxCustomWordLen = 50 // code points
)

// newCustomWords validates and folds the engine's custom words.
func newCustomWords(words []string) (*wordList, error) {
	if len(words) > maxCustomWords {
		return nil, fmt.Errorf("password: %d custom words, out of range [0, %d]", len(words), maxCustomWords)
	}
	for i, w := range words {
		n := utf8.RuneCountInString(w)
		if !utf8.ValidString(w) || n < 1 || n > maxCustomWordLen {
			return nil, fmt.Errorf("password: custom word %d must be 1 to %d characters of valid UTF-8", i, maxCustomWordLen)
		}
		if strings.IndexFunc(w, isControl) >= 0 {
			return nil, fmt.Errorf("password: custom word %d contains a control character", i)
		}
	}
	return newWordList(words), nil
}

// minBaseWord is the shortest base word (the password without its leading
// and trailing non-letters) looked up on its own: shorter ones would refuse
// passwords that merely end with a common short word.
const minBaseWord = 4

// inDictionary reports whether the folded password lower, or its base
// word, is in one of the lists.
func inDictionary(lower string, lists ...*wordList) bool {
	base := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	checkBase := base != lower && utf8.RuneCountInString(base) >= minBaseWord
	for _, l := range lists {
		if l == nil || l.len() == 0 {
			continue
		}
		if l.contains(lower) || (checkBase && l.contains(base)) {
			return true
		}
	}
	return false
}
