package memory_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
)

// Example shows the store's single-use commit: the first commit of a
// session saves its method, a second commit of the same session is refused
// and saves nothing.
func Example() {
	now := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	s, err := memory.New(memory.Config{Now: now})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	exp := now().Add(5 * time.Minute)

	n, _ := s.Attempt(ctx, "session-1", exp)
	fmt.Println("attempt", n)
	m := store.Method{ID: "totp|dev_1", Subject: "auth0|alice", Type: "totp", CreatedAt: now(), Attrs: []byte(`{}`)}
	fmt.Println(s.Commit(ctx, store.Commit{SessionID: "session-1", SessionExpires: exp, Method: m}))

	m.ID = "totp|dev_2"
	err = s.Commit(ctx, store.Commit{SessionID: "session-1", SessionExpires: exp, Method: m})
	fmt.Println(errors.Is(err, store.ErrConsumed))
	_, err = s.Attempt(ctx, "session-1", exp)
	fmt.Println(errors.Is(err, store.ErrConsumed))

	ms, _ := s.List(ctx, "auth0|alice")
	fmt.Println(len(ms), ms[0].ID, ms[0].Version)
	// Output:
	// attempt 1
	// <nil>
	// true
	// true
	// 1 totp|dev_1 1
}
