package bench

import (
	"slices"
	"time"
)

// Latency summarises a set of durations, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

func summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	q := func(p float64) float64 {
		i := int(p*float64(len(samples))+0.5) - 1
		i = min(max(i, 0), len(samples)-1)
		return ms(samples[i])
	}
	return Latency{Count: len(samples), P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: ms(samples[len(samples)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
