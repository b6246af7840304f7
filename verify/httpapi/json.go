package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/verify"
)

// decodeJSON decodes body, which must be exactly one JSON object, into v
// (a map of raw members, or a struct), in one pass of json/v2 with
// json.RejectUnknownMembers(true). json/v2 refuses invalid UTF-8,
// duplicate member names, names that match a field only in another case,
// unknown members, trailing data and values of the wrong JSON type;
// decodeJSON adds the depth bound: no value decoded into a jsontext.Value
// may nest deeper than maxDepth levels in the body.
//
// Raw values alias body; copy what outlives it.
//
// Every refusal is a *verify.Error of kind verify.ErrInvalidRequest with
// one FieldError naming the member (Field, dotted) and its JSON pointer.
func decodeJSON(body []byte, v any, maxDepth int) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(body)) // parses body in place
	switch dec.PeekKind() {
	case '{':
	case 0:
		if len(bytes.Trim(body, " \t\r\n")) == 0 {
			return invalidBody("the request body is empty")
		}
		_, err := dec.ReadToken()
		return decodeError(body, err)
	default:
		return invalidBody("the request body must be a JSON object")
	}
	bounded := json.UnmarshalFromFunc(func(dec *jsontext.Decoder, raw *jsontext.Value) error {
		return readBounded(dec, raw, body, maxDepth)
	})
	if err := json.UnmarshalDecode(dec, v, json.RejectUnknownMembers(true), json.WithUnmarshalers(bounded)); err != nil {
		return decodeError(body, err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return invalidBody("the request body has data after the JSON object")
	}
	return nil
}

// readBounded reads the next value of dec, a decoder over body, token by
// token, refusing a container nested more than maxDepth levels deep, and
// sets raw to the bytes of the value in body.
func readBounded(dec *jsontext.Decoder, raw *jsontext.Value, body []byte, maxDepth int) error {
	start, depth := dec.InputOffset(), dec.StackDepth()
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if k := tok.Kind(); (k == '{' || k == '[') && dec.StackDepth() > maxDepth {
			return invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", maxDepth), pathOf(dec.StackPointer())...)
		}
		if dec.StackDepth() == depth {
			break
		}
	}
	// What lies between the previous token and the value is JSON
	// whitespace and the ':' or ',' before it.
	*raw = bytes.TrimLeft(body[start:dec.InputOffset()], " \t\r\n:,")
	return nil
}

// decodeError turns an error of json/v2 decoding body into the
// ErrInvalidRequest that reports it.
func decodeError(body []byte, err error) error {
	var ve *verify.Error
	if errors.As(err, &ve) {
		return ve // readBounded's depth error
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		path := pathOf(syn.JSONPointer)
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return invalidBody("the member appears more than once", path...)
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return invalidBody("the request body is truncated", path...)
		case !utf8.Valid(body):
			return invalidBody("the request body is not valid UTF-8", path...)
		}
		return invalidBody(fmt.Sprintf("the request body is not valid JSON (at byte %d)", syn.ByteOffset), path...)
	}
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		path := pathOf(sem.JSONPointer)
		if errors.Is(sem.Err, json.ErrUnknownName) {
			return invalidBody("is not allowed", path...)
		}
		return invalidBody(mustBe(sem.GoType), path...)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return invalidBody("the request body is truncated")
	}
	return invalidBody("the request body is not valid JSON")
}

// mustBe names the JSON type a Go type is decoded from.
func mustBe(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
	case t.Kind() == reflect.String:
		return "must be a string"
	case t.Kind() == reflect.Bool:
		return "must be a boolean"
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		return "must be an object"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "must be an array"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "must be a number"
	}
	return "is of the wrong type"
}

// pathOf returns the reference tokens of a JSON pointer.
func pathOf(p jsontext.Pointer) []string { return slices.Collect(p.Tokens()) }
