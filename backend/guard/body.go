package guard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// limitBody enforces the body cap for r and, for bodies small enough to
// buffer, the JSON depth cap. It writes the error reply itself and reports
// whether the request may go on.
func (g *Guard) limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	limit := g.cfg.MaxBodyBytes
	if g.cfg.BodyLimit != nil {
		if v := g.cfg.BodyLimit(r); v > 0 {
			limit = v
		}
	}
	if r.ContentLength > limit {
		g.tooLarge(w, r, limit)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if limit > maxBufferedBody || r.ContentLength == 0 || !bufferable(r.Header.Get("Content-Type")) {
		return true
	}
	done := readDeadline(w, g.cfg.BodyReadTimeout)
	buf, err := readBody(r.Body, r.ContentLength)
	done()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			g.tooLarge(w, r, limit)
		} else {
			g.refuse(w, r, http.StatusBadRequest, "body_read_failed", "could not read request body: "+err.Error())
		}
		return false
	}
	if looksLikeJSON(buf) {
		if err := CheckJSONDepth(buf, g.cfg.MaxJSONDepth); err != nil {
			g.refuse(w, r, http.StatusBadRequest, "json_too_deep",
				fmt.Sprintf("JSON body nested deeper than %d levels", g.cfg.MaxJSONDepth))
			return false
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(buf))
	r.ContentLength = int64(len(buf))
	r.Header.Set("Content-Length", strconv.Itoa(len(buf)))
	r.Header.Del("Transfer-Encoding")
	r.TransferEncoding = nil
	return true
}

func (g *Guard) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	g.refuse(w, r, http.StatusRequestEntityTooLarge, "body_too_large",
		fmt.Sprintf("request body larger than %d bytes", limit))
}

// bufferable reports whether a body of this type is read up front for the
// JSON depth check: everything except uploads and raw binary streams.
func bufferable(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return true
	}
	switch {
	case mt == "application/octet-stream",
		len(mt) > 10 && mt[:10] == "multipart/",
		len(mt) > 6 && mt[:6] == "audio/",
		len(mt) > 6 && mt[:6] == "image/",
		len(mt) > 6 && mt[:6] == "video/",
		len(mt) > 6 && mt[:6] == "model/":
		return false
	}
	return true
}

func readBody(body io.Reader, contentLength int64) ([]byte, error) {
	var b bytes.Buffer
	if contentLength > 0 && contentLength <= maxBufferedBody {
		b.Grow(int(contentLength))
	}
	_, err := b.ReadFrom(body)
	return b.Bytes(), err
}

// IsBodyTooLarge reports whether err came from reading a body past the
// guard's limit, so a streaming handler can answer 413.
func IsBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// BodyErrorStatus maps an error from reading a request body to the status
// a handler should answer: 413 past the limit, 400 otherwise.
func BodyErrorStatus(err error) int {
	if IsBodyTooLarge(err) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}
