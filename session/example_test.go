package session_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verifykit/verifykit/session"
)

// Fixed example keys. Real ones are 32 random bytes, encoded, from a secret
// store — never literals in code.
const (
	key1 = "uJ0PqT7d3nW9kXr2ZsV5yBc8Ga1Lm4Hf6Ee0Qo7Ri3U"
	key2 = "Nw5Kz8Jc2Xv4Pb9Sm1Td7Yq3Fg6Lh0Ra5Ue8Io2Ay4C"
)

// clock is a fixed clock the examples move by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func ExampleSealer() {
	c := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	sealer, err := session.NewSealer(session.Config{
		Keys: []session.Key{{ID: "k1", Password: key1}},
		Now:  c.Now,
	})
	if err != nil {
		panic(err)
	}

	// The caller encodes its payload (verify uses json/v2) and seals the
	// bytes.
	token, err := sealer.Seal([]byte(`{"sub":"auth0|123","mid":"totp|dev_1"}`), 5*time.Minute)
	if err != nil {
		panic(err)
	}
	// The salts and IV are random, so only the shape is printable.
	parts := strings.Split(token, "*")
	fmt.Println(len(parts), parts[0], parts[1], parts[5])

	payload, err := sealer.Open(token)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", payload)
	// Output:
	// 8 Fe26.2 k1 1735787345000
	// {"sub":"auth0|123","mid":"totp|dev_1"}
}

func ExampleSealer_Open_expired() {
	c := &clock{t: time.UnixMilli(1700000000000)}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{Password: key1}}, Now: c.Now})
	if err != nil {
		panic(err)
	}
	token, err := sealer.Seal([]byte("pending"), time.Minute)
	if err != nil {
		panic(err)
	}

	c.t = c.t.Add(time.Minute + 59*time.Second) // within the 60 s skew
	payload, err := sealer.Open(token)
	fmt.Printf("%s %v\n", payload, err)

	c.t = c.t.Add(time.Second)
	_, err = sealer.Open(token)
	// A caller that does not import session asks the error itself.
	var e interface{ Expired() bool }
	fmt.Println(err, errors.Is(err, session.ErrExpired), errors.Is(err, session.ErrInvalid), errors.As(err, &e) && e.Expired())
	// Output:
	// pending <nil>
	// session: token expired true true true
}

func Example_keyRotation() {
	c := &clock{t: time.UnixMilli(1700000000000)}
	newSealer := func(keys ...session.Key) *session.Sealer {
		s, err := session.NewSealer(session.Config{Keys: keys, Now: c.Now})
		if err != nil {
			panic(err)
		}
		return s
	}
	old := newSealer(session.Key{ID: "k1", Password: key1})
	token, err := old.Seal([]byte("sealed with k1"), 5*time.Minute)
	if err != nil {
		panic(err)
	}

	// k2 seals now; k1 still unseals.
	rotated := newSealer(session.Key{ID: "k2", Password: key2}, session.Key{ID: "k1", Password: key1})
	payload, err := rotated.Open(token)
	fmt.Printf("%v %s\n", err, payload)
	fresh, err := rotated.Seal([]byte("sealed with k2"), 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Split(fresh, "*")[1])

	// k1 retired: its tokens are refused.
	retired := newSealer(session.Key{ID: "k2", Password: key2})
	_, err = retired.Open(token)
	fmt.Println(errors.Is(err, session.ErrInvalid))
	// Output:
	// <nil> sealed with k1
	// k2
	// true
}

func ExampleNewSealer() {
	_, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k-1", Password: key1}}})
	fmt.Println(err)
	_, err = session.NewSealer(session.Config{Keys: []session.Key{{Password: "correct horse battery staple"}}})
	fmt.Println(err)
	// Output:
	// session: Keys[0].ID "k-1" does not match ^\w+$
	// session: Keys[0] (id ""): password has 28 characters, fewer than 32; use 32 random bytes, encoded
}
