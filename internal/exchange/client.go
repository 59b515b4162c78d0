package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/exchange/xroad"
)

// Client is how a vngov component calls another agency's service: through
// its own agency's gateway, as one of its subsystems, with a purpose.
type Client struct {
	Gateway string // the gateway's client-side base URL, e.g. http://127.0.0.1:8112
	As      string // the calling subsystem: INSTANCE/CLASS/MEMBER/SUBSYSTEM
	HTTP    *http.Client
}

// Purpose says who is calling and why; personal-data services require it.
type Purpose struct {
	UserID string // the official, or the citizen acting for themself ("VN" + id)
	Issue  string // the case: a dossier code, an account sign-up, ...
}

// Call sends method to service (INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE)
// with path (e.g. "/person/verify") and, when in is not nil, a JSON body;
// it decodes a 2xx JSON answer into out. An exchange error comes back as
// *xroad.Error, a backend error as an error with its status and body.
func (c *Client) Call(ctx context.Context, method, service, path string, p Purpose, in, out any) error {
	id, err := xroad.ParseServiceID(service)
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Gateway, "/")+id.Path()+path, body)
	if err != nil {
		return err
	}
	req.Header.Set(xroad.HeaderClient, c.As)
	if p.UserID != "" {
		req.Header.Set(xroad.HeaderUserID, p.UserID)
	}
	if p.Issue != "" {
		req.Header.Set(xroad.HeaderIssue, p.Issue)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("exchange: call %s: %w", service, err)
	}
	defer resp.Body.Close()
	if xe := xroad.ErrorFromResponse(resp); xe != nil {
		return xe
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("exchange: %s answered %d: %s", service, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("exchange: decode answer of %s: %w", service, err)
	}
	return nil
}
