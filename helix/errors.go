package helix

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// APIError is an answer from Twitch other than success. Use errors.As to
// get it from an error a method returns.
type APIError struct {
	Operation  string // the Client method, "GetUsers"
	StatusCode int
	StatusText string // Twitch's "error", such as "Bad Request"
	Message    string // Twitch's "message", saying what was wrong
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("helix: %s: %d %s", e.Operation, e.StatusCode, e.StatusText)
	}
	return fmt.Sprintf("helix: %s: %d %s: %s", e.Operation, e.StatusCode, e.StatusText, e.Message)
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

func newAPIError(op *Operation, resp *http.Response) *APIError {
	e := &APIError{Operation: op.Name, StatusCode: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode)}
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if json.Unmarshal(data, &body) == nil {
		if body.Error != "" {
			e.StatusText = body.Error
		}
		e.Message = body.Message
	}
	return e
}

// InvalidParamsError reports parameters that Twitch would refuse, found
// before any request was sent: a required parameter not set, or too many
// values for a repeated one.
type InvalidParamsError struct {
	Operation string // the Client method, "GetUsers"
	Param     string // the parameter as Twitch names it, "broadcaster_id"
	Reason    string
}

func (e *InvalidParamsError) Error() string {
	return fmt.Sprintf("helix: %s: parameter %s: %s", e.Operation, e.Param, e.Reason)
}
