package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds how much of an answer is read.
const maxBody = 1 << 20

// do sends a request to one of the endpoints that x/oauth2 does not cover
// (validate, revoke) or does not get right for Twitch (the device flow's
// start), and returns the body of a 2xx answer; any other answer is an
// *Error.
func (c *Client) do(ctx context.Context, endpoint, method, target string, form url.Values, header http.Header) ([]byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", endpoint, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: read answer: %w", endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newError(endpoint, "", resp.StatusCode, data)
	}
	return data, nil
}
