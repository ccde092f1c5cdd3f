//go:build race

package hubtest

const raceEnabled = true
