package push

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// DeviceUpdate is the body of PATCH <base>/api/device-accounts/{id}, as
// Guardian's DeviceAPIClient.update sends it: a member that is absent or
// null leaves its field as it is.
type DeviceUpdate struct {
	Identifier      *string          `json:"identifier"`
	Name            *string          `json:"name"`
	PushCredentials *PushCredentials `json:"push_credentials"`
}

// DeviceAccount is a device account as the device API answers it: the
// current values after an update.
type DeviceAccount struct {
	ID              string          `json:"id"`
	Identifier      string          `json:"identifier"`
	Name            string          `json:"name"`
	PushCredentials PushCredentials `json:"push_credentials"`
}

// maxUpdateRetries bounds UpdateDevice's retries on a concurrent write.
const maxUpdateRetries = 3

// deviceAccount finds the confirmed push method of device account id and
// checks that token is its device token, in constant time. Every refusal
// is ErrUnauthorized: an unknown id and a wrong token answer alike, and a
// token authorizes its own device account only.
func (p *Push) deviceAccount(ctx context.Context, id, token string) (store.Method, Device, error) {
	credID, err := ticketEncoding.DecodeString(id)
	if err != nil || len(credID) != sha256.Size || token == "" || len(token) > 256 {
		return store.Method{}, Device{}, ErrUnauthorized
	}
	m, err := p.devices.ByCredentialID(ctx, credID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Method{}, Device{}, ErrUnauthorized
	}
	if err != nil {
		return store.Method{}, Device{}, fmt.Errorf("push: read device account: %w", err)
	}
	if m.Type != "push-notification" {
		return store.Method{}, Device{}, ErrUnauthorized
	}
	dv, err := ParseDevice(m.Secret)
	if err != nil {
		return store.Method{}, Device{}, err
	}
	got := sha256.Sum256([]byte(token))
	if len(dv.TokenHash) != sha256.Size || subtle.ConstantTimeCompare(got[:], dv.TokenHash) != 1 {
		return store.Method{}, Device{}, ErrUnauthorized
	}
	return m, dv, nil
}

// UpdateDevice serves PATCH <base>/api/device-accounts/{id}, transport-free:
// with the device token of device account id, it replaces the device's
// identifier, name and push credentials that upd sets, keeps the others,
// and returns the current values. The method's own name (the user's label,
// renamed through the My Account API) is not changed; the device's name is
// kept in its record.
//
// Errors: ErrUnauthorized for an unknown account or a wrong token;
// ErrInvalidRequest for a malformed field; a wrapped internal error for a
// store failure.
func (p *Push) UpdateDevice(ctx context.Context, id, token string, upd *DeviceUpdate) (*DeviceAccount, error) {
	if upd == nil {
		upd = &DeviceUpdate{}
	}
	if upd.Identifier != nil {
		if err := checkString(*upd.Identifier, maxIdentifierLen); err != "" {
			return nil, badField("identifier", err)
		}
	}
	if upd.Name != nil {
		if err := checkString(*upd.Name, maxNameLen); err != "" {
			return nil, badField("name", err)
		}
	}
	if upd.PushCredentials != nil {
		if err := p.checkPushCredentials(upd.PushCredentials); err != nil {
			return nil, err
		}
	}
	for try := 0; ; try++ {
		m, dv, err := p.deviceAccount(ctx, id, token)
		if err != nil {
			return nil, err
		}
		if upd.Identifier != nil {
			dv.Identifier = *upd.Identifier
		}
		if upd.Name != nil {
			dv.Name = *upd.Name
		}
		if upd.PushCredentials != nil {
			dv.Service, dv.Token = upd.PushCredentials.Service, upd.PushCredentials.Token
		}
		if m.Secret, err = dv.MarshalBinary(); err != nil {
			return nil, err
		}
		_, err = p.devices.Update(ctx, m)
		switch {
		case err == nil:
			p.deviceEvent(ctx, verify.EventUpdated, &m)
			return &DeviceAccount{
				ID: id, Identifier: dv.Identifier, Name: dv.Name,
				PushCredentials: PushCredentials{Service: dv.Service, Token: dv.Token},
			}, nil
		case errors.Is(err, store.ErrNotFound):
			return nil, ErrUnauthorized // deleted meanwhile
		case errors.Is(err, store.ErrConflict) && try < maxUpdateRetries:
			continue // written meanwhile: read again
		default:
			return nil, fmt.Errorf("push: update device account: %w", err)
		}
	}
}

// DeleteDevice serves DELETE <base>/api/device-accounts/{id},
// transport-free: with the device token of device account id, it deletes
// the push method, so the device is unenrolled and its approvals are
// refused from then on (PU-05).
//
// Errors: ErrUnauthorized for an unknown account or a wrong token; a
// wrapped internal error for a store failure.
func (p *Push) DeleteDevice(ctx context.Context, id, token string) error {
	m, _, err := p.deviceAccount(ctx, id, token)
	if err != nil {
		return err
	}
	switch err := p.devices.Delete(ctx, m.Subject, m.ID); {
	case errors.Is(err, store.ErrNotFound):
		return ErrUnauthorized
	case err != nil:
		return fmt.Errorf("push: delete device account: %w", err)
	}
	p.deviceEvent(ctx, verify.EventDeleted, &m)
	return nil
}

// deviceEvent tells Config.Observer of a change the device made to method m.
func (p *Push) deviceEvent(ctx context.Context, kind verify.EventKind, m *store.Method) {
	if p.observer != nil {
		p.observer.Observe(ctx, verify.Event{Kind: kind, Time: p.now(), Subject: m.Subject, Type: verify.TypePushNotification, MethodID: m.ID, Reason: "device"})
	}
}
