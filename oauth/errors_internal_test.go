package oauth

import (
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestNewErrorReadsBothShapes(t *testing.T) {
	tests := []struct {
		name     string
		grant    string
		endpoint string
		status   int
		body     string
		code     string
		message  string
		want     error
		text     string
	}{
		{"twitch pending", deviceGrant, "token", 400, `{"status":400,"message":"authorization_pending"}`,
			"", "authorization_pending", ErrAuthorizationPending, "oauth: token (device_code): 400 authorization_pending"},
		{"rfc pending", deviceGrant, "token", 400, `{"error":"authorization_pending"}`,
			"authorization_pending", "", ErrAuthorizationPending, "oauth: token (device_code): 400 authorization_pending"},
		{"twitch slow down", deviceGrant, "token", 400, `{"status":400,"message":"slow_down"}`,
			"", "slow_down", ErrSlowDown, ""},
		{"rfc slow down", deviceGrant, "token", 400, `{"error":"slow_down","error_description":"poll less"}`,
			"slow_down", "poll less", ErrSlowDown, "oauth: token (device_code): 400 slow_down poll less"},
		{"twitch invalid device code", deviceGrant, "token", 400, `{"status":400,"message":"invalid device code"}`,
			"", "invalid device code", ErrInvalidDeviceCode, ""},
		{"rfc invalid device code", deviceGrant, "token", 400, `{"error":"invalid_grant"}`,
			"invalid_grant", "", ErrInvalidDeviceCode, ""},
		{"twitch refresh refused", "refresh_token", "token", 400, `{"error":"Bad Request","status":400,"message":"Invalid refresh token"}`,
			"", "Invalid refresh token", ErrReauthorize, "oauth: token (refresh_token): 400 Invalid refresh token"},
		{"rfc refresh refused", "refresh_token", "token", 400, `{"error":"invalid_grant","error_description":"expired"}`,
			"invalid_grant", "expired", ErrReauthorize, ""},
		{"rfc code refused", "authorization_code", "token", 400, `{"error":"invalid_grant"}`,
			"invalid_grant", "", ErrInvalidGrant, ""},
		{"twitch client secret", "client_credentials", "token", 403, `{"status":403,"message":"invalid client secret"}`,
			"", "invalid client secret", ErrInvalidClient, ""},
		{"validate", "", "validate", 401, `{"status":401,"message":"invalid access token"}`,
			"", "invalid access token", ErrInvalidToken, ""},
		{"validate other words", "", "validate", 401, `{"status":401,"message":"token expired"}`,
			"", "token expired", ErrInvalidToken, ""},
		{"not json", "refresh_token", "token", 502, `<html>bad gateway</html>`,
			"", "Bad Gateway", nil, "oauth: token (refresh_token): 502 Bad Gateway"},
		{"empty", "", "revoke", 500, ``, "", "Internal Server Error", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newError(tt.endpoint, tt.grant, tt.status, []byte(tt.body))
			assert.Equal(t, e.StatusCode, tt.status)
			assert.Equal(t, e.Code, tt.code)
			assert.Equal(t, e.Message, tt.message)
			assert.Equal(t, errors.Unwrap(e), tt.want)
			if tt.text != "" {
				assert.Equal(t, e.Error(), tt.text)
			}
		})
	}
}

func TestErrorMessagesAreCleaned(t *testing.T) {
	e := newError("token", "", 400, []byte(`{"message":"line one\nline two\u0000`+strings.Repeat("x", 500)+`"}`))
	assert.Assert(t, !strings.ContainsAny(e.Error(), "\n\x00"))
	assert.Assert(t, len(e.Message) <= maxMessage+3)
}
