package service

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

// A command may serve a second handler on an address of its own (ServeOn)
// and set what its flags decide in the configuration (Configure) before
// the Authenticator is built.
func TestServeOnAndConfigure(t *testing.T) {
	hubEnv(t)
	addr, extra := freeAddr(t), freeAddr(t)
	cmd := hello()
	cmd.Configure = func(cfg *hubauth.Config) error {
		cfg.CookiePath = "/"
		return nil
	}
	var seen hubauth.Config
	start := cmd.Start
	cmd.Start = func(ctx context.Context, s *Service) (http.Handler, error) {
		seen = s.Auth.Config()
		err := s.ServeOn("-extra-listen", extra, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "extra")
		}))
		require.NoError(t, err)
		return start(ctx, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cmd, []string{"-listen", addr}, io.Discard, io.Discard) }()
	code, body := get(t, "http://"+extra+"/anything")
	require.Equal(t, 200, code)
	require.Equal(t, "extra", body)
	code, body = get(t, "http://"+addr+"/services/x/")
	require.Equal(t, 200, code, body)
	require.Equal(t, "/", seen.CookiePath, "Configure ran before the Authenticator was built")
	cancel()
	require.NoError(t, <-done)
	_, err := net.DialTimeout("tcp", extra, time.Second)
	require.Error(t, err, "the extra listener closes with the service")
}

// An address already in use, or a Configure that makes the configuration
// invalid, stops start-up with a message naming the setting.
func TestServeOnAndConfigureProblems(t *testing.T) {
	hubEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	cmd := hello()
	start := cmd.Start
	cmd.Start = func(ctx context.Context, s *Service) (http.Handler, error) {
		if err := s.ServeOn("-extra-listen", busy.Addr().String(), http.NotFoundHandler()); err != nil {
			return nil, err
		}
		return start(ctx, s)
	}
	err = Run(context.Background(), cmd, []string{"-listen", freeAddr(t)}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "-extra-listen: cannot listen on "+busy.Addr().String())

	cmd = hello()
	cmd.Configure = func(cfg *hubauth.Config) error {
		cfg.ReturnHosts = []string{"https://not-a-host/"}
		return nil
	}
	err = Run(context.Background(), cmd, []string{"-listen", freeAddr(t)}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "return hosts")
}
