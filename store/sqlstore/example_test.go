package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/sqlstore"
)

// Example opens an SQLite store, counts an attempt, commits a confirmed
// method and shows that its session cannot be used again.
func Example() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var key [32]byte // use 32 bytes from crypto/rand, kept in a secret manager
	copy(key[:], "an example key, never use this!!")
	s, err := sqlstore.Open(ctx, sqlstore.Config{
		Driver: sqlstore.DriverSQLite,
		DSN:    filepath.Join(dir, "verifykit.db"),
		Keys:   []sqlstore.Key{{ID: "2026-01", Secret: key}},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	expires := now.Add(5 * time.Minute)
	n, _ := s.Attempt(ctx, "session-1", expires)
	fmt.Println("attempt", n)

	m := store.Method{
		ID: "totp|dev_1", Subject: "user-1", Type: "totp", CreatedAt: now,
		Attrs: []byte(`{}`), Secret: []byte("12345678901234567890"), Counter: 56666666,
	}
	err = s.Commit(ctx, store.Commit{SessionID: "session-1", SessionExpires: expires, Method: m})
	fmt.Println("commit:", err)
	err = s.Commit(ctx, store.Commit{SessionID: "session-1", SessionExpires: expires, Method: m})
	fmt.Println("again:", errors.Is(err, store.ErrConsumed))

	got, _ := s.Get(ctx, "user-1", "totp|dev_1")
	fmt.Printf("%s version %d secret %q\n", got.ID, got.Version, got.Secret)

	var raw []byte
	_ = s.DB().QueryRow(`SELECT secret FROM verifykit_methods`).Scan(&raw)
	fmt.Println("stored sealed:", len(raw) == 12+20+16)
	// Output:
	// attempt 1
	// commit: <nil>
	// again: true
	// totp|dev_1 version 1 secret "12345678901234567890"
	// stored sealed: true
}
