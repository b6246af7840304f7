package verify

import (
	"context"
	"fmt"
	"slices"

	"github.com/verifykit/verifykit/internal/pattern"
)

// Connectioner is implemented by engines that serve one database
// connection (password.Engine): its name is one of the connections a start
// request may name unless Config.Connections lists them explicitly.
type Connectioner interface {
	Connection() string
}

// resolveIdentity is the one identity-binding rule of every engine that
// takes identity_user_id or connection (AB-01, AB-02). It returns the
// identity the enrollment of req is for: the subject's own id unless req
// names another that Config.AllowIdentity approves (else ErrForbidden),
// after refusing a connection that is not configured (ErrInvalidRequest,
// "unknown connection").
func (s *Service) resolveIdentity(ctx context.Context, sub Subject, req *StartRequest) (string, error) {
	if c := req.Connection; c != "" {
		if !pattern.Connection(c) {
			return "", InvalidField("connection", "/connection", "connection must be 1 to 128 characters of letters, digits and '-'")
		}
		if !slices.Contains(s.cfg.Connections, c) {
			return "", InvalidField("connection", "/connection", "unknown connection")
		}
	}
	id := req.IdentityUserID
	if id != "" && !pattern.Identity(id) {
		return "", InvalidField("identity_user_id", "/identity_user_id", "identity_user_id must be 1 to 255 characters without whitespace")
	}
	if id == "" || id == sub.ID {
		return sub.ID, nil
	}
	if s.cfg.AllowIdentity == nil {
		return "", NewError(ErrForbidden, "identity_not_owned", "A user may only enroll methods for their own identity")
	}
	if err := s.cfg.AllowIdentity(ctx, sub, id); err != nil {
		if Kind(err) != nil {
			return "", err
		}
		return "", fmt.Errorf("verify: identity check: %w", err)
	}
	return id, nil
}
