// Package jsoncompat holds the json/v2 options under which the documents
// verifykit sends to other parties (passkey options, the related-origins
// document, outbox lines, webhook bodies) keep the bytes encoding/json
// wrote before the move to json/v2.
package jsoncompat

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// SentBytes escapes <, >, &, U+2028 and U+2029 as \u escapes, as
// encoding/json did, and writes invalid UTF-8 (a host's user names and
// message texts are not checked) as U+FFFD rather than failing; the one
// difference from encoding/json is that U+FFFD is written as the
// character, not as \ufffd.
var SentBytes = json.JoinOptions(jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true), jsontext.AllowInvalidUTF8(true))
