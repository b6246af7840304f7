// Package spectest checks HTTP requests and responses against the My
// Account API contract in testdata/ (myaccount-api-oas.json, the whole API,
// and verify-authentication-method.openapi.yaml, the confirm operation),
// for the tests of verify/httpapi and of every package that serves it.
//
// The spec files are verbatim copies of shared/spec; TestSpecCopies fails
// when they drift from it.
//
// # Usage
//
//	rec := httptest.NewRecorder()
//	handler.ServeHTTP(rec, req)
//	spectest.ValidateRecorder(t, "confirmAuthenticationMethod", rec)
//
// ValidateResponse (and ValidateRecorder, its shorthand) fails the test
// unless the response conforms to the operation named by its operationId:
//
//   - the status is one the operation declares, or one of the Extensions
//     verifykit documents (500, 413, and 404/409 where listed);
//   - a body is JSON (Content-Type application/json, optionally with a
//     charset of utf-8), exactly one value, valid against the response's
//     schema in every spec file that declares the operation, with formats
//     (date-time, uri) asserted; an error body's "status" equals the HTTP
//     status;
//   - the top-level members of the body are members some matching branch
//     of the schema declares (the spec's response schemas leave
//     additionalProperties open; verifykit's bodies add nothing to them);
//     nested objects are checked by the schema alone;
//   - every header the response declares as required is present and valid
//     (numbers for the rate-limit headers and retry-after, an absolute URI
//     for Location); x-ratelimit-* and retry-after, wherever present, are
//     non-negative integers.
//
// CheckResponse and CheckRequest return the same findings as an error, for
// fuzz targets and differential tests ("the handler accepts a body only if
// the spec's request schema does").
//
// JSON Schema is evaluated by github.com/santhosh-tekuri/jsonschema/v6
// (draft 2020-12, the dialect of OpenAPI 3.1). The spec's ECMA-262 patterns
// are translated for Go's regexp (\uXXXX becomes \x{XXXX}); the discriminator
// keyword is not evaluated, the schemas' "const" type fields do the same job.
//
// kin-openapi v0.153.0 was evaluated first and set aside: it refuses to load
// the spec (its pattern check rejects the \u escapes of new_password's
// pattern, so the document must be patched before use) and its OpenAPI 3.0
// schema model needs the discriminator to pick oneOf branches, where the
// 2020-12 validator reads const directly.
package spectest

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

//go:embed testdata/myaccount-api-oas.json testdata/verify-authentication-method.openapi.yaml
var specFS embed.FS

// SpecFiles are the spec files in testdata/, in the order they are read.
var SpecFiles = []string{"myaccount-api-oas.json", "verify-authentication-method.openapi.yaml"}

// Extensions are the statuses verifykit answers beyond those an operation
// declares, each with the spec's ErrorResponse body. Every operation may
// answer 500 (an internal failure, with a generic detail); operations with
// a request body may answer 413 (a body over the handler's size limit).
// The statuses listed per operation here are answered for the kinds
// verify.ErrNotFound and verify.ErrConflict: an unknown method (update,
// delete), a method that exists already, a concurrent update.
var Extensions = map[string][]int{
	"createAuthenticationMethod":  {404, 409},
	"confirmAuthenticationMethod": {404, 409},
	"updateAuthenticationMethod":  {404, 409},
	"deleteAuthenticationMethod":  {404},
}

// operation is one operation of one spec file.
type operation struct {
	file      string
	id        string
	hasBody   bool
	requestPt string // JSON pointer of the request body schema, "" if none
	responses map[string]response
}

type response struct {
	schemaPt string            // JSON pointer of the application/json schema, "" if none
	headers  map[string]header // lower-case name
}

type header struct {
	required bool
	typ      string // schema type
	format   string
}

type spec struct {
	docs    map[string]any // file → decoded document
	ops     map[string][]*operation
	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema // file#pointer → compiled
	comp    *jsonschema.Compiler
}

var (
	loadOnce sync.Once
	loaded   *spec
	loadErr  error
)

func load() (*spec, error) {
	loadOnce.Do(func() { loaded, loadErr = parse() })
	return loaded, loadErr
}

func parse() (*spec, error) {
	s := &spec{docs: map[string]any{}, ops: map[string][]*operation{}, schemas: map[string]*jsonschema.Schema{}}
	s.comp = jsonschema.NewCompiler()
	s.comp.DefaultDraft(jsonschema.Draft2020)
	s.comp.AssertFormat()
	s.comp.UseRegexpEngine(ecmaRegexp)
	for _, name := range SpecFiles {
		raw, err := specFS.ReadFile("testdata/" + name)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".yaml") {
			var y any
			if err := yaml.Unmarshal(raw, &y); err != nil {
				return nil, fmt.Errorf("spectest: %s: %w", name, err)
			}
			if raw, err = json.Marshal(y); err != nil {
				return nil, fmt.Errorf("spectest: %s: %w", name, err)
			}
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("spectest: %s: %w", name, err)
		}
		s.docs[name] = doc
		if err := s.comp.AddResource(fileURL(name), doc); err != nil {
			return nil, fmt.Errorf("spectest: %s: %w", name, err)
		}
		if err := s.index(name, doc); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func fileURL(name string) string { return "file:///spec/" + name }

// index records the operations of one spec file.
func (s *spec) index(file string, doc any) error {
	paths, _ := get(doc, "paths").(map[string]any)
	for p, item := range paths {
		for _, m := range []string{"get", "put", "post", "delete", "patch"} {
			o, ok := get(item, m).(map[string]any)
			if !ok {
				continue
			}
			id, _ := o["operationId"].(string)
			op := &operation{file: file, id: id, responses: map[string]response{}}
			base := "/paths/" + escapePointer(p) + "/" + m
			if _, ok := get(o, "requestBody", "content", "application/json", "schema").(map[string]any); ok {
				op.hasBody = true
				op.requestPt = base + "/requestBody/content/application~1json/schema"
			}
			resps, _ := o["responses"].(map[string]any)
			for status, r := range resps {
				rp := base + "/responses/" + escapePointer(status)
				if ref, ok := get(r, "$ref").(string); ok {
					rp = strings.TrimPrefix(ref, "#")
					r = resolve(doc, rp)
				}
				resp := response{headers: map[string]header{}}
				if _, ok := get(r, "content", "application/json", "schema").(map[string]any); ok {
					resp.schemaPt = rp + "/content/application~1json/schema"
				}
				hs, _ := get(r, "headers").(map[string]any)
				for name, h := range hs {
					if ref, ok := get(h, "$ref").(string); ok {
						h = resolve(doc, strings.TrimPrefix(ref, "#"))
					}
					req, _ := get(h, "required").(bool)
					typ, _ := get(h, "schema", "type").(string)
					format, _ := get(h, "schema", "format").(string)
					resp.headers[strings.ToLower(name)] = header{required: req, typ: typ, format: format}
				}
				op.responses[status] = resp
			}
			if id == "" {
				return fmt.Errorf("spectest: %s: %s %s has no operationId", file, m, p)
			}
			s.ops[id] = append(s.ops[id], op)
		}
	}
	return nil
}

// Operations returns the operationIds of the spec, sorted.
func Operations() []string {
	s, err := load()
	if err != nil {
		return nil
	}
	ids := make([]string, 0, len(s.ops))
	for id := range s.ops {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ValidateRecorder is ValidateResponse for a recorded response.
func ValidateRecorder(t testing.TB, operationID string, rec *httptest.ResponseRecorder) {
	t.Helper()
	ValidateResponse(t, operationID, rec.Code, rec.Header(), rec.Body.Bytes())
}

// ValidateResponse fails t (without stopping it) unless the response
// conforms to the spec's operation operationID; see the package
// documentation for what is checked.
func ValidateResponse(t testing.TB, operationID string, status int, header http.Header, body []byte) {
	t.Helper()
	if err := CheckResponse(operationID, status, header, body); err != nil {
		t.Errorf("response does not conform to %s (status %d):\n%v\nbody: %s", operationID, status, err, truncate(body))
	}
}

// CheckResponse returns every way the response departs from the spec's
// operation operationID, joined, or nil.
func CheckResponse(operationID string, status int, header http.Header, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	ops := s.ops[operationID]
	if len(ops) == 0 {
		return fmt.Errorf("spectest: unknown operationId %q", operationID)
	}
	var errs []error
	for _, op := range ops {
		if err := s.checkResponse(op, status, header, body); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", op.file, err))
		}
	}
	return errors.Join(errs...)
}

func (s *spec) checkResponse(op *operation, status int, h http.Header, body []byte) error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	resp, declared := op.responses[strconv.Itoa(status)]
	if !declared {
		if !s.extension(op, status) {
			return fmt.Errorf("status %d is neither declared by %s nor a documented extension", status, op.id)
		}
		resp = response{schemaPt: "/components/schemas/ErrorResponse", headers: map[string]header{}}
	}

	// Headers the operation requires, and the numeric ones wherever present.
	for name, hd := range resp.headers {
		vals := h.Values(name)
		if len(vals) == 0 {
			if hd.required {
				fail("required header %s is missing", name)
			}
			continue
		}
		if len(vals) > 1 {
			fail("header %s is repeated", name)
		}
		checkHeader(name, hd, vals[0], fail)
	}
	for _, name := range []string{"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"} {
		if v := h.Get(name); v != "" {
			if _, err := strconv.ParseUint(v, 10, 63); err != nil {
				fail("header %s = %q is not a non-negative integer", name, v)
			}
		}
	}

	if resp.schemaPt == "" {
		if len(body) != 0 {
			fail("status %d declares no body, got %d bytes", status, len(body))
		}
		return errors.Join(errs...)
	}
	if err := checkJSONContentType(h.Get("Content-Type")); err != nil {
		fail("%v", err)
	}
	v, err := decodeOne(body)
	if err != nil {
		fail("body: %v", err)
		return errors.Join(errs...)
	}
	sch, err := s.schema(op.file, resp.schemaPt)
	if err != nil {
		return err
	}
	if err := sch.Validate(v); err != nil {
		fail("body: %v", err)
	}
	for _, p := range s.undeclared(op.file, resp.schemaPt, v) {
		fail("body member %q is not declared by the schema", p)
	}
	if status >= 400 {
		if st, ok := get(v, "status").(json.Number); !ok || st.String() != strconv.Itoa(status) {
			fail("error body status %v differs from the HTTP status %d", get(v, "status"), status)
		}
	}
	return errors.Join(errs...)
}

func (s *spec) extension(op *operation, status int) bool {
	switch {
	case status == http.StatusInternalServerError:
		return true
	case status == http.StatusRequestEntityTooLarge:
		return op.hasBody
	}
	return slices.Contains(Extensions[op.id], status)
}

func checkHeader(name string, hd header, v string, fail func(string, ...any)) {
	switch hd.typ {
	case "number", "integer":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			fail("header %s = %q is not a number", name, v)
		}
	case "string", "":
	default:
		fail("header %s has unsupported schema type %q", name, hd.typ)
	}
	if hd.format == "uri" {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() || u.Host == "" {
			fail("header %s = %q is not an absolute URI", name, v)
		}
	}
}

func checkJSONContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("Content-Type %q is not application/json", ct)
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return fmt.Errorf("Content-Type %q has an unexpected parameter", ct)
		}
	}
	return nil
}

// CheckRequest validates a request body against the request schema of the
// operation operationID in every spec file that declares it.
func CheckRequest(operationID string, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	ops := s.ops[operationID]
	if len(ops) == 0 {
		return fmt.Errorf("spectest: unknown operationId %q", operationID)
	}
	v, err := decodeOne(body)
	if err != nil {
		return err
	}
	var errs []error
	for _, op := range ops {
		if op.requestPt == "" {
			return fmt.Errorf("spectest: %s has no JSON request body", operationID)
		}
		sch, err := s.schema(op.file, op.requestPt)
		if err != nil {
			return err
		}
		if err := sch.Validate(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", op.file, err))
		}
	}
	return errors.Join(errs...)
}

// CheckSchema validates a JSON value against the component schema name of
// myaccount-api-oas.json (e.g. "ErrorResponse", "AuthenticationMethod").
func CheckSchema(name string, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	v, err := decodeOne(body)
	if err != nil {
		return err
	}
	sch, err := s.schema(SpecFiles[0], "/components/schemas/"+escapePointer(name))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func (s *spec) schema(file, pointer string) (*jsonschema.Schema, error) {
	key := file + "#" + pointer
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[key]; ok {
		return sch, nil
	}
	sch, err := s.comp.Compile(fileURL(file) + "#" + pointer)
	if err != nil {
		return nil, fmt.Errorf("spectest: compile %s: %w", key, err)
	}
	s.schemas[key] = sch
	return sch, nil
}

// undeclared returns the top-level members of v that no branch of the
// schema at pointer that v matches declares. It returns nil when the schema
// declares no properties at all (an open object) or v is not an object.
func (s *spec) undeclared(file, pointer string, v any) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	props, open := s.declared(file, pointer, v, 0)
	if open {
		return nil
	}
	var out []string
	for k := range obj {
		if !props[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// declared collects the property names the schema at pointer declares for
// the value v: through $ref and allOf always, through the oneOf and anyOf
// branches v is valid against. open reports a schema that allows any
// member (additionalProperties not false and no properties declared).
func (s *spec) declared(file, pointer string, v any, depth int) (props map[string]bool, open bool) {
	props = map[string]bool{}
	if depth > 16 {
		return props, true
	}
	node := resolve(s.docs[file], pointer)
	m, ok := node.(map[string]any)
	if !ok {
		return props, true
	}
	if ref, ok := m["$ref"].(string); ok {
		return s.declared(file, strings.TrimPrefix(ref, "#"), v, depth+1)
	}
	composite := false
	if all, ok := m["allOf"].([]any); ok {
		composite = true
		for i := range all {
			p, o := s.declared(file, fmt.Sprintf("%s/allOf/%d", pointer, i), v, depth+1)
			if o {
				open = true
			}
			for k := range p {
				props[k] = true
			}
		}
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		branches, ok := m[kw].([]any)
		if !ok {
			continue
		}
		composite = true
		for i := range branches {
			bp := fmt.Sprintf("%s/%s/%d", pointer, kw, i)
			sch, err := s.schema(file, bp)
			if err != nil || sch.Validate(v) != nil {
				continue
			}
			p, o := s.declared(file, bp, v, depth+1)
			if o {
				open = true
			}
			for k := range p {
				props[k] = true
			}
		}
	}
	if ps, ok := m["properties"].(map[string]any); ok {
		for k := range ps {
			props[k] = true
		}
	} else if !composite {
		if ap, ok := m["additionalProperties"].(bool); !ok || ap {
			open = true
		}
	}
	return props, open
}

// decodeOne decodes exactly one JSON value (numbers as json.Number).
func decodeOne(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// resolve returns the node at the JSON pointer p of doc.
func resolve(doc any, p string) any {
	if p == "" {
		return doc
	}
	v := doc
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := v.(type) {
		case map[string]any:
			v = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			v = n[i]
		default:
			return nil
		}
	}
	return v
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

var ecmaEscape = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)

// ecmaRegexp compiles an ECMA-262 pattern of the spec with Go's regexp,
// translating \uXXXX escapes, the only ECMA syntax the spec uses that RE2
// lacks.
func ecmaRegexp(s string) (jsonschema.Regexp, error) {
	return regexp.Compile(ecmaEscape.ReplaceAllString(s, `\x{$1}`))
}

func truncate(b []byte) string {
	const max = 2048
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
