package oidccmd

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubauth-go/whoami/hubauth/oidc"
)

// metrics are the provider's own Prometheus metrics, beside hubauth's
// (hub calls, the answer cache, the hub logins behind each code). Client
// labels only ever name registered clients, and the refusal labels come
// from the provider, never from a request, so no request can add a time
// series.
type metrics struct {
	codes   *prometheus.CounterVec
	tokens  *prometheus.CounterVec
	refused *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, clients []oidc.Client) (*metrics, error) {
	m := &metrics{
		codes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubauth_oidc_logins_total",
			Help: "Logins through the hub that ended with a code sent to the client, by client.",
		}, []string{"client"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubauth_oidc_codes_exchanged_total",
			Help: "Codes exchanged for an access token and an id_token at the token endpoint, by client.",
		}, []string{"client"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hubauth_oidc_refused_total",
			Help: "Requests refused, by endpoint (authorize, callback, token, userinfo, logout) and OAuth error (invalid_grant, invalid_token, ...).",
		}, []string{"endpoint", "error"}),
	}
	for _, c := range clients {
		// From zero, so a rate works before the first login.
		m.codes.WithLabelValues(c.ID)
		m.tokens.WithLabelValues(c.ID)
	}
	for _, c := range []prometheus.Collector{m.codes, m.tokens, m.refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observer counts what the provider reports.
func (m *metrics) observer() *oidc.Observer {
	return &oidc.Observer{
		CodeIssued:  func(_ context.Context, client string) { m.codes.WithLabelValues(client).Inc() },
		TokenIssued: func(_ context.Context, client string) { m.tokens.WithLabelValues(client).Inc() },
		Refused:     func(_ context.Context, endpoint, code string) { m.refused.WithLabelValues(endpoint, code).Inc() },
	}
}
