package password_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/password"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// Example enrolls a password through verify.Service: start returns the
// policy, a weak password is refused with every broken rule, a good one is
// confirmed.
func Example() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	st, _ := memory.New(memory.Config{Now: now})
	eng, err := password.New(st, password.Config{Now: now})
	if err != nil {
		panic(err)
	}
	sealer, _ := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "example-sealing-password-of-32-characters-or-more"}}, Now: now})
	svc, _ := verify.NewService(verify.Config{Engines: []verify.Engine{eng}, Sealer: sealer, Store: st, Now: now})

	sub := verify.Subject{ID: "auth0|507f1f77bcf86cd799439011", Email: "jane.doe@example.com"}
	enr, _ := svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypePassword}, verify.Client{})
	var pol password.Policy
	_ = json.Unmarshal(enr.Policy, &pol)
	fmt.Println(enr.ID, "min_length", pol.Complexity.MinLength, "dictionary", pol.Dictionary.Default)

	weak := "janedoe2026"
	_, err = svc.Verify(ctx, sub, enr.ID, verify.VerifyRequest{AuthSession: enr.AuthSession, NewPassword: &weak}, verify.Client{})
	var ve *verify.Error
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Println(f.Pointer, f.Detail)
		}
	}

	good := "tangerine quartz violin ladder"
	m, err := svc.Verify(ctx, sub, enr.ID, verify.VerifyRequest{AuthSession: enr.AuthSession, NewPassword: &good}, verify.Client{})
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(m)
	fmt.Println(string(out))
	// Output:
	// password|new min_length 15 dictionary en_10k
	// /new_password min_length: must be at least 15 characters
	// /new_password profile_data: must not contain your personal data (email)
	// {"id":"password|YXV0aDB8NTA3ZjFmNzdiY2Y4NmNkNzk5NDM5MDEx","type":"password","identity_user_id":"auth0|507f1f77bcf86cd799439011","last_password_reset":"2026-01-02T03:04:05.000Z","usage":["primary"],"created_at":"2026-01-02T03:04:05.000Z"}
}

// ExampleHasher_Compare verifies hashes made by other tools: here one by
// htpasswd -B and one by the argon2 reference CLI.
func ExampleHasher_Compare() {
	ctx := context.Background()
	h, err := password.NewHasher(password.HashConfig{}) // argon2id, m=19 MiB, t=2, p=1
	if err != nil {
		panic(err)
	}
	htpasswd := "$2y$10$V5QDTHGHXUXES4DPX71Y.eClQzulGvoT74gdjhFek5wcP.szBymW."
	argon2CLI := "$argon2id$v=19$m=19456,t=2,p=1$MzNiZWM1MThhNGYyNmIzMA$SVsinn6d/5BO0B/tRB8IseCoRbM0IfU8t4M0/fhljeA"
	fmt.Println(h.Compare(ctx, htpasswd, "correct horse battery staple"))
	fmt.Println(h.Compare(ctx, argon2CLI, "correct horse battery staple"))
	fmt.Println(h.Compare(ctx, argon2CLI, "Correct horse battery staple"))
	fmt.Println(h.NeedsRehash(htpasswd), h.NeedsRehash(argon2CLI))
	err = h.Compare(ctx, "$argon2id$v=19$m=4194304,t=1,p=1$MzNiZWM1MThhNGYyNmIzMA$SVsinn6d/5BO0B/tRB8IseCoRbM0IfU8t4M0/fhljeA", "x")
	fmt.Println(errors.Is(err, password.ErrHashTooCostly))
	// Output:
	// <nil>
	// <nil>
	// password: hash does not match
	// true false
	// true
}

// ExamplePreset shows Auth0's legacy "good" level as a policy.
func ExamplePreset() {
	p, _ := password.Preset("good")
	b, _ := json.Marshal(p.Complexity)
	fmt.Println(string(b))
	// Output:
	// {"min_length":8,"character_types":["lowercase","uppercase","number","special"],"character_type_rule":"three_of_four","identical_characters":"allow","sequential_characters":"allow","max_length_exceeded":"error"}
}

// ExamplePolicyError finds the broken rules of a refused password.
func ExamplePolicyError() {
	err := error(&password.PolicyError{Violations: []password.Violation{
		{Rule: "min_length", Detail: "must be at least 15 characters"},
		{Rule: "dictionary", Detail: "is too common"},
	}})
	var pe *password.PolicyError
	fmt.Println(errors.Is(err, verify.ErrInvalidRequest), errors.As(err, &pe) && pe.Broke("dictionary"))
	fmt.Println(err)
	// Output:
	// true true
	// password: new password breaks the policy: min_length, dictionary
}
