package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report as a table for people.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	lat := func(l Latency) string {
		return fmt.Sprintf("p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (n=%d)", l.P50, l.P90, l.P99, l.Max, l.Count)
	}
	row("date", "%s", r.Date)
	row("target", "%s", r.URL)
	mode := r.Mode
	if r.TargetRate > 0 {
		mode += fmt.Sprintf(" at %.0f/s", r.TargetRate)
	}
	row("load", "%s, concurrency %d, channels %s, %.1f s", mode, r.Concurrency, strings.Join(r.Channels, ","), r.Seconds)
	row("triggers", "sent %d, accepted %d (%.0f/s)", r.Sent, r.Accepted, r.AcceptedPerSec)
	if len(r.Errors) > 0 {
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %d", k, r.Errors[k])
		}
		row("errors", "%s", strings.Join(parts, ", "))
	} else {
		row("errors", "none")
	}
	if r.Skipped > 0 {
		row("skipped", "%d open-loop sends (all workers busy; raise --concurrency)", r.Skipped)
	}
	row("trigger→200", "%s", lat(r.TriggerLatency))
	if rt := r.Realtime; rt != nil {
		row("websocket clients", "%d", rt.Clients)
		row("trigger→websocket", "%s", lat(rt.Latency))
		row("exactly once", "expected %d, received %d, missing %d, duplicates %d, misrouted %d", rt.Expected, rt.Received, rt.Missing, rt.Duplicates, rt.Misrouted)
	}
	if d := r.Deliveries; d != nil {
		row("deliveries", "%d of %d completed (%.0f/s), from %s", d.Completed, d.Expected, d.PerSec, d.Source)
	}
	if r.History != nil {
		row("history page of 50", "%s", lat(*r.History))
	}
	if s := r.Server; s != nil {
		line := fmt.Sprintf("start %.1f MiB, end %.1f MiB", mib(s.RSSStartBytes), mib(s.RSSEndBytes))
		if s.RSSClientsBytes > 0 {
			line += fmt.Sprintf(", with clients %.1f MiB (%.1f KB per client)", mib(s.RSSClientsBytes), s.PerClientKB)
		}
		if s.PID > 0 {
			line += fmt.Sprintf(", pid %d", s.PID)
		}
		row("server RSS", "%s, from %s", line, s.Source)
		if s.CPUSeconds > 0 {
			row("server CPU", "%.2f s during the load, %.0f µs per accepted trigger", s.CPUSeconds, s.CPUPerEventUs)
		}
	}
	return tw.Flush()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
