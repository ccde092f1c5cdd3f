// Package bench measures whoami-api against the Python reference and a bare
// net/http ceiling, side by side, on one machine in one run: `make bench`
// runs TestBench (build tag "bench") and writes bench/RESULTS.md.
//
// This file's package holds the measuring tools: a counting, slowable
// proxy in front of the hub, a load generator for the runs wrk cannot do
// (a new token per request), and readers of a process's CPU time and
// memory from /proc.
package bench
