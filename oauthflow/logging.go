package oauthflow

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// LogRequests returns next (http.DefaultTransport when nil) logging each
// request to l at debug level, one record per request once it is answered:
// "oauthflow: request" with the method, host, path, status (or the error)
// and duration. It never logs the query, headers or bodies, which carry
// authorization codes, tokens and client secrets.
//
// [WithLogger] logs the requests of a Config's flows and token sources
// this way. A program that builds its Configs elsewhere can log them
// too by giving the token source a context whose [oauth2.HTTPClient] uses
// this transport, as x/oauth2 takes its HTTP client from the context.
func LogRequests(l *slog.Logger, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if l == nil {
		return next
	}
	if lt, ok := next.(*logTransport); ok && lt.l == l {
		return next // logged already
	}
	return &logTransport{l: l, next: next}
}

type logTransport struct {
	l    *slog.Logger
	next http.RoundTripper
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("host", req.URL.Host),
		slog.String("path", req.URL.EscapedPath()),
	}
	if err != nil {
		// A *url.Error names the URL, query included: keep its cause.
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		attrs = append(attrs, slog.String("error", clean(cause.Error())))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	attrs = append(attrs, slog.Duration("took", time.Since(start)))
	t.l.LogAttrs(req.Context(), slog.LevelDebug, "oauthflow: request", attrs...)
	return resp, err
}
