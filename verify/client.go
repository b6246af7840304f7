package verify

import "context"

type clientKey struct{}

// WithClient returns a copy of ctx that carries c, for the operations that
// take no Client argument (Service.Update and Service.Delete): their
// events then name the calling user agent and address, as the events of
// Start and Verify do. verify/httpapi sets it on the requests it serves.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the Client WithClient put in ctx, or the zero Client.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
