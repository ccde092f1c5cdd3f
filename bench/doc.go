// Package bench measures the services against the Python reference and a
// bare net/http ceiling, side by side, on one machine in one run, and holds
// them under load while the hub fails:
//
//   - `make bench` runs TestBench (build tag "bench") and writes
//     bench/RESULTS.md: the token path (whoami-api) and the cookie path
//     (whoami-oauth with a login cookie from the real hub's OAuth login),
//     each beside its Python reference in bench/pyref/;
//   - `make soak` runs TestSoak (build tag "soak") and writes bench/SOAK.md
//     and bench/soak.png: 64 connections of mixed callers for SOAK_SECONDS
//     while the hub is stopped, restarted and slowed and a whoami-oauth
//     replica is killed, with the checks the run must pass.
//
// The package itself holds the tools: a counting, slowable proxy in front
// of the hub (HubProxy; the soak's, which makes every hub call slow, is
// internal/hubtest's FaultProxy); a round-robin front for service replicas
// (Front); a cookie-jar browser that logs in through the hub's pages
// (Browser); a load generator for the runs wrk cannot do (a new token per
// request); the soak's judge (Recorder); readers of a process's CPU time,
// memory, open files and threads from /proc; and a PNG plotter that needs
// only the standard library.
package bench
