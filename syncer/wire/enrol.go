package wire

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Enrolment: IT runs `central enroll`, which prints a short one-time code;
// the kiosk sends it once, unauthenticated, and gets its token back.
//
//	POST /v1/enrol   EnrolRequest → EnrolResponse
//
// A code the centre does not know is answered 403; one used or expired,
// 410; one made for another kiosk than the request names, 409. Each
// time the body is an ErrorBody saying what to do.

// MaxEnrolBody is the most an enrolment request may take.
const MaxEnrolBody = 1 << 10

// EnrolRequest redeems an enrolment code. Kiosk and Site, when given,
// are what the kiosk's own configuration says it is: a code made for
// another kiosk is refused (409) and stays unused.
type EnrolRequest struct {
	Code  string `json:"code"`
	Kiosk string `json:"kiosk,omitempty"`
	Site  string `json:"site,omitempty"`
}

// EnrolResponse is what the code stood for, and the kiosk's token, which
// is not shown again.
type EnrolResponse struct {
	Site  string `json:"site"`
	Kiosk string `json:"kiosk"`
	Name  string `json:"name"`
	Token string `json:"token"`
	// Staff holds the site's staff accounts as pull
	// records (entity "staff"), so a kiosk leaves set-up with the
	// accounts it signs staff in with, even before its first pull.
	Staff []Record `json:"staff,omitempty"`
}

// DecodeEnrolRequest reads an enrolment request: one JSON object with a
// code.
func DecodeEnrolRequest(r io.Reader) (EnrolRequest, error) {
	var req EnrolRequest
	if err := decode(r, &req); err != nil {
		return EnrolRequest{}, err
	}
	if strings.TrimSpace(req.Code) == "" {
		return EnrolRequest{}, fmt.Errorf("%w: code is missing", ErrMalformed)
	}
	return req, nil
}

// DecodeEnrolResponse reads the centre's answer to an enrolment.
func DecodeEnrolResponse(r io.Reader) (EnrolResponse, error) {
	var resp EnrolResponse
	if err := decode(r, &resp); err != nil {
		return EnrolResponse{}, err
	}
	if resp.Site == "" || resp.Kiosk == "" || resp.Token == "" {
		return EnrolResponse{}, fmt.Errorf("%w: site, kiosk and token are required", ErrMalformed)
	}
	return resp, nil
}

// EnrolLink is what an enrolment QR code holds when the centre's address
// is known: both things the kiosk's set-up screen asks for, in one scan.
func EnrolLink(centre, code string) string {
	return "lobbyline://enrol?" + url.Values{"centre": {centre}, "code": {code}}.Encode()
}

// ParseEnrolScan reads what a scanner typed into the set-up screen's code
// field: an EnrolLink, or the code alone (centre "").
func ParseEnrolScan(s string) (centre, code string) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "lobbyline" || u.Host != "enrol" {
		return "", s
	}
	q := u.Query()
	return q.Get("centre"), q.Get("code")
}
