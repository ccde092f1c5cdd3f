// Package service is the shell every command of this module runs in, so
// that each command says only what is its own (the handler it serves, its
// own flags) and everything else is done once, the same way:
//
//   - the flags common to all: -listen, -metrics-listen, -access-log, and
//     -h, which prints the environment variables the command reads (from
//     hubauth.Settings) and the flags;
//   - the configuration from the environment (hubauth.FromEnv), with
//     every problem, the command's own included, reported at once;
//   - the logger, the hubauth.Authenticator with the metrics observer, the
//     operations listener (/metrics, /healthz, /readyz), where a command may
//     register metrics of its own (Service.Metrics), and the access log;
//   - the server (hubauth.Server: the address, internal SSL, bounded
//     reads), SIGTERM and SIGINT, and the exit status.
package service
