package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// The fault tests run the real engine of every method type behind the
// handler, over a store that fails one step of the flow (faulttest.Store):
// first a run without faults records the store operations the flow makes,
// then each of them fails in turn, in each way a store fails (an error, an
// expired deadline, a cancelled context, a call that hangs until the
// request's context is cancelled). SECURITY-CHECKLIST GN-09 (fail closed:
// an outage is a 500, never "invalid code", never a success) and GN-10
// (all-or-nothing: nothing is stored, and the same auth_session and proof
// succeed once the store is back).

// faultServe serves r under the armed fault of k. For ModeBlock it waits
// until the store call blocks, then cancels the request's context, as a
// client that gives up or a server deadline would.
func faultServe(t *testing.T, k *faulttest.Kit, h http.Handler, mode faulttest.Mode, newReq func(ctx context.Context) *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newReq(ctx)
	op := faulttest.Operation(r)
	serve := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	var rec *httptest.ResponseRecorder
	if mode != faulttest.ModeBlock {
		rec = serve()
	} else {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- serve() }()
		select {
		case <-k.Store.Blocked():
			cancel()
			rec = <-done
		case rec = <-done:
			t.Fatalf("the request returned without blocking in the store: %d %s", rec.Code, rec.Body.String())
		}
	}
	if op != "" {
		spectest.ValidateRecorder(t, op, rec)
	}
	return rec
}

// requireInternal asserts rec is the handler's 500: the spec's
// ErrorResponse with the generic detail, no Location, nothing confirmed.
func requireInternal(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	require.Equal(t, http.StatusInternalServerError, rec.Code, "a store failure must be a 500, never a 400 or a success: %s", rec.Body.String())
	p := faulttest.ProblemOf(t, rec)
	assert.Equal(t, faulttest.Problem{Type: httpapi.ProblemInternal, Status: 500, Title: "Internal Server Error", Detail: "An internal error occurred"}, p)
	assert.Empty(t, rec.Header().Get("Location"))
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
}

// storedMethods returns subject's methods, read past the fault wrapper.
func storedMethods(t *testing.T, k *faulttest.Kit, subject string) int {
	t.Helper()
	ms, err := k.Store.Inner().List(context.Background(), subject)
	require.NoError(t, err)
	return len(ms)
}

// failureReasons returns the reasons of the enrollment_failed events
// logged for subject.
func failureReasons(t *testing.T, k *faulttest.Kit, subject string) []string {
	t.Helper()
	var reasons []string
	sc := bufio.NewScanner(strings.NewReader(k.Logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Event, User, Reason string
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		if rec.Event == string(verify.EventFailed) && rec.User == subject {
			reasons = append(reasons, rec.Reason)
		}
	}
	return reasons
}

// prepared is an enrollment ready to confirm: started, its device
// enrolled (push), and its proof.
type prepared struct {
	e    *faulttest.Enrollment
	body string
}

func prepare(t *testing.T, k *faulttest.Kit, subject string, typ verify.Type) prepared {
	t.Helper()
	e := k.Start(t, subject, typ)
	if typ == verify.TypePushNotification {
		k.EnrollDevice(t, e)
	}
	return prepared{e: e, body: k.Proof(t, e)}
}

// TestFaultsVerify fails every store step of every method type's verify.
//
// Checklist: GN-09, GN-10.
func TestFaultsVerify(t *testing.T) {
	for _, typ := range verify.Types() {
		t.Run(string(typ), func(t *testing.T) {
			k := faulttest.NewKit(t, faulttest.KitConfig{})
			n := 0
			subject := func() string { n++; return fmt.Sprintf("auth0|faults-%d", n) }

			// The steps: the store calls of one successful verify.
			dry := prepare(t, k, subject(), typ)
			k.Store.ResetTrace()
			rec := k.Verify(t, dry.e, dry.body)
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			trace := k.Store.Trace()
			require.Contains(t, trace, faulttest.OpAttempt)
			require.Contains(t, trace, faulttest.OpCommit)
			t.Logf("verify steps of %s: %v", typ, trace)

			for _, f := range faulttest.Faults(trace) {
				t.Run(f.String(), func(t *testing.T) {
					sub := subject()
					p := prepare(t, k, sub, typ)
					k.Store.Inject(f)
					rec := faultServe(t, k, k.Handler, f.Mode, func(ctx context.Context) *http.Request { return k.VerifyRequest(ctx, p.e, p.body) })
					k.Store.Clear()
					require.Equal(t, 1, k.Store.Fired(), "the fault hit its step")
					requireInternal(t, rec)
					assert.Zero(t, storedMethods(t, k, sub), "nothing is stored")
					assert.Equal(t, []string{"internal"}, failureReasons(t, k, sub), "the event says internal, not a wrong proof")

					rec = k.Verify(t, p.e, p.body)
					require.Equal(t, http.StatusCreated, rec.Code, "the same auth_session and proof succeed once the store is back: %s", rec.Body.String())
					assert.Equal(t, 1, storedMethods(t, k, sub))
				})
			}

			// The commit lands but its answer is lost: a 500, and the
			// retry learns that the session was used; one method.
			t.Run("Commit#1/error/after", func(t *testing.T) {
				sub := subject()
				p := prepare(t, k, sub, typ)
				k.Store.Inject(faulttest.Fault{Op: faulttest.OpCommit, Nth: 1, After: true})
				rec := k.Verify(t, p.e, p.body)
				k.Store.Clear()
				requireInternal(t, rec)
				assert.Equal(t, 1, storedMethods(t, k, sub), "the commit is whole")
				rec = k.Verify(t, p.e, p.body)
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
				assert.Equal(t, httpapi.ProblemSessionUsed, faulttest.ProblemOf(t, rec).Type)
				assert.Equal(t, 1, storedMethods(t, k, sub))
			})
		})
	}
}

// TestFaultsStart fails every store step of every method type's start.
func TestFaultsStart(t *testing.T) {
	for _, typ := range verify.Types() {
		t.Run(string(typ), func(t *testing.T) {
			k := faulttest.NewKit(t, faulttest.KitConfig{})
			k.Store.ResetTrace()
			k.Start(t, "auth0|start-dry", typ)
			trace := k.Store.Trace()
			t.Logf("start steps of %s: %v", typ, trace)
			for i, f := range faulttest.Faults(trace) {
				t.Run(f.String(), func(t *testing.T) {
					sub := fmt.Sprintf("auth0|start-%d", i)
					k.Store.Inject(f)
					rec := faultServe(t, k, k.Handler, f.Mode, func(ctx context.Context) *http.Request {
						r, _ := k.StartRequest(t, ctx, sub, typ)
						return r
					})
					k.Store.Clear()
					require.Equal(t, 1, k.Store.Fired())
					requireInternal(t, rec)
					e := k.Start(t, sub, typ)
					if typ == verify.TypePushNotification {
						k.EnrollDevice(t, e)
					}
					rec = k.Verify(t, e, k.Proof(t, e))
					require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
				})
			}
		})
	}
}

// TestFaultsPushDevice fails every store step of the push device's
// enrollment: the device is answered 500, the ticket is not spent, and a
// retry enrolls the device and lets the user's verify succeed.
func TestFaultsPushDevice(t *testing.T) {
	k := faulttest.NewKit(t, faulttest.KitConfig{Types: []verify.Type{verify.TypePushNotification}})
	e := k.Start(t, "auth0|device-dry", verify.TypePushNotification)
	k.Store.ResetTrace()
	k.EnrollDevice(t, e)
	trace := k.Store.Trace()
	require.Contains(t, trace, faulttest.OpRedeemPushTicket)
	for i, f := range faulttest.Faults(trace) {
		t.Run(f.String(), func(t *testing.T) {
			e := k.Start(t, fmt.Sprintf("auth0|device-%d", i), verify.TypePushNotification)
			d, err := faulttest.NewDevice()
			require.NoError(t, err)
			k.Store.Inject(f)
			rec := faultServe(t, k, k.Push.EnrollHandler(), f.Mode, func(ctx context.Context) *http.Request {
				body, err := d.EnrollBody(k.Push.EnrollURL(), e.Ticket, k.Clock.Now())
				require.NoError(t, err)
				r := httptest.NewRequestWithContext(ctx, http.MethodPost, k.Push.EnrollURL(), strings.NewReader(string(body)))
				r.Header.Set("Authorization", `Ticket id="`+e.Ticket+`"`)
				r.Header.Set("Content-Type", "application/json")
				return r
			})
			k.Store.Clear()
			require.Equal(t, 1, k.Store.Fired())
			require.Equal(t, http.StatusInternalServerError, rec.Code, rec.Body.String())
			var p faulttest.Problem
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
			assert.Equal(t, 500, p.Status)
			assert.NotContains(t, rec.Body.String(), "faulttest", "the cause stays in the server")

			// The ticket is not spent: the enrollment is still pending,
			// and the same device enrolls on a retry.
			rec = k.Verify(t, e, k.Proof(t, e))
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			assert.Equal(t, httpapi.ProblemPending, faulttest.ProblemOf(t, rec).Type)
			rec = k.EnrollWith(t, context.Background(), d, e.Ticket)
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			rec = k.Verify(t, e, k.Proof(t, e))
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		})
	}
}
